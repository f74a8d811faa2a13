# Names and paths of the 3-node test cluster, shared by start.sh, stop.sh and the tests
# (tests/slurm/_multinode.ts reads the same paths). Everything is its own: munged key and socket,
# slurm.conf (clients use SLURM_CONF), cluster name, ports, state, spool and log dirs, so it runs
# beside the one-node cluster of scripts/slurm/setup.sh without touching it.
MN_ROOT=${ASYNCFLOW_MULTINODE_ROOT:-/var/lib/asyncflow-multinode}
MN_CONF=$MN_ROOT/slurm.conf
MN_MODE_FILE=$MN_ROOT/mode           # "netns" or "multi", written once the cluster is up
MN_MUNGE=$MN_ROOT/munge              # key, socket, pid, log and seed of its own munged
MN_SOCKET=$MN_MUNGE/munge.socket
MN_RUN=$MN_ROOT/run                  # pid files
MN_LOG=$MN_ROOT/log
MN_CLUSTER=asyncflow3
MN_CONF_VERSION=2                    # raise it when start.sh writes a different slurm.conf
MN_CTLD_PORT=6917                    # the one-node cluster uses Slurm's defaults, 6817/6818
MN_SLURMD_PORT=6918                  # multi mode: 6918, 6919, 6920
MN_NODES=(node1 node2 node3)
MN_SUBNET=10.250.0                   # exists only inside this machine; nothing is forwarded off it
MN_CTLD_ADDR=$MN_SUBNET.1            # the machine's own namespace (the "login node") on the bridge
MN_HUB=af3-hub                       # the namespace that holds the bridge
MN_ROOT_LINK=af3-login               # the machine's end of its link to the bridge
# The node's namespace and address: node1 -> af3-node1, 10.250.0.11.
mn_ns() { echo "af3-$1"; }
mn_addr() { echo "$MN_SUBNET.1${1#node}"; }
MN_GPU=$MN_ROOT/gpu                  # stand-in GPU device files, one directory per node
# Stand-in GPUs per node: node1 has one, node2 and node3 two each. Slurm 22.05 cannot give one
# job GPUs over nodes of which one has none (--gpus=N -N3: "Requested node configuration is not
# available"), so every node has at least one; the counts still differ.
mn_gpus() { case $1 in node1) echo 1 ;; *) echo 2 ;; esac; }
