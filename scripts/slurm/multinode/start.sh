#!/usr/bin/env bash
# Starts the 3-node Slurm test cluster (nodes node1..node3, partition "all", cluster asyncflow3)
# beside the one-node cluster of scripts/slurm/setup.sh. Clients reach it with
#   SLURM_CONF=/var/lib/asyncflow-multinode/slurm.conf sinfo
# Mode "netns" (the default where it works): each node is a network + UTS + mount namespace with
# its own host name and address (10.250.0.1N), linked through a bridge in a hub namespace;
# slurmctld and munged stay in the machine's own namespace, which plays the login node
# (10.250.0.1). Mode "multi" (fallback, printed with its reason): Slurm's multiple-slurmd mode,
# three slurmd on 127.0.0.1 with one host name. ASYNCFLOW_MULTINODE_MODE=netns|multi forces one.
# Idempotent (a running cluster is left as it is); stop.sh stops it. Like setup.sh it never fails
# a CI job for lack of means: it prints "SKIP: <reason>" and exits 0, and the tests skip visibly.
set -uo pipefail
here=$(dirname "$0")
. "$here/env.sh"
export SLURM_CONF=$MN_CONF

# After a partial start, what did start is stopped again: nothing half-up is left behind.
skip() {
  echo "SKIP: 3-node Slurm test cluster not started: $*"
  [ -n "${starting:-}" ] && bash "$here/stop.sh" >/dev/null
  exit 0
}
# Slurm's tools wait out their 10 s message timeout when the controller is gone: bound them.
# One line per node (-N), by node name (%N): in multi mode every node has the same host name.
responding() { [ "$(timeout 3 sinfo -h -N -r -o %N 2>/dev/null | wc -l)" = "${#MN_NODES[@]}" ]; }
all_idle() { [ "$(timeout 3 sinfo -h -N -t idle -o %N 2>/dev/null | wc -l)" = "${#MN_NODES[@]}" ]; }
answering() { [ "$(timeout 3 sinfo -h -N -o %N 2>/dev/null | sort -u | wc -l)" = "${#MN_NODES[@]}" ]; }
jobs_running() { [ -n "$(timeout 3 squeue -h -o %i 2>/dev/null)" ]; }
current() { grep -qx "# asyncflow-multinode config $MN_CONF_VERSION" "$MN_CONF" 2>/dev/null; }

# The cluster is shared by everyone's test runs on this machine. A node that a fault test has
# taken down while its jobs run is that test's business: restarting then would kill every job.
# A cluster of an older config, or a broken one, is started afresh once nobody uses it.
if [ -s "$MN_MODE_FILE" ] && command -v sinfo >/dev/null && answering; then
  if current && { responding || jobs_running; }; then
    echo "multinode: already up ($(cat "$MN_MODE_FILE") mode; SLURM_CONF=$MN_CONF)"
    exit 0
  fi
  if jobs_running; then
    echo "multinode: up with an older config or a node down, not restarted while jobs run" \
      "(tests that need the current config skip)"
    exit 0
  fi
fi
[ "$(id -u)" = 0 ] || skip "needs root (daemons are started by hand, no systemd)"
for tool in slurmctld slurmd munged; do
  [ -x "/usr/sbin/$tool" ] || skip "/usr/sbin/$tool is missing (scripts/slurm/setup.sh installs slurm-wlm and munge)"
done

# iproute2 builds the nodes' network; minimal images (a fresh CI container) may lack it.
if ! command -v ip >/dev/null && command -v apt-get >/dev/null; then
  echo "multinode: installing iproute2"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null; }
fi

# Whatever is left of an earlier run (a daemon that died, a namespace without its slurmd) goes.
bash "$here/stop.sh" >/dev/null

mode=${ASYNCFLOW_MULTINODE_MODE:-auto}
if [ "$mode" = auto ]; then
  # Namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN (a VM or a privileged container).
  # nsenter + unshare, not `ip netns exec`: that remounts /sys, hiding /sys/fs/cgroup, and slurmd
  # 22.05 then refuses to start.
  probe=af3-probe
  if why=$(ip netns add "$probe" 2>&1 &&
    nsenter --net="/run/netns/$probe" unshare --uts --mount --propagation slave true 2>&1); then
    mode=netns
  else
    mode=multi
    echo "multinode: network namespaces not available (${why:-no ip tool}); falling back to" \
      "Slurm's multiple-slurmd mode: one host name and 127.0.0.1 for all nodes"
  fi
  ip netns delete "$probe" 2>/dev/null
fi
[ "$mode" = netns ] || [ "$mode" = multi ] || skip "ASYNCFLOW_MULTINODE_MODE must be netns or multi, got '$mode'"

starting=1
mkdir -p "$MN_RUN" "$MN_LOG" "$MN_MUNGE"
rm -rf "$MN_ROOT/state" "$MN_ROOT/spool"
mkdir -p "$MN_ROOT/state"
for node in "${MN_NODES[@]}"; do mkdir -p "$MN_ROOT/spool/$node"; done

# Its own munged: own key (this cluster's credentials mean nothing to the other one) and socket.
chown munge:munge "$MN_MUNGE"
chmod 0755 "$MN_MUNGE"
if [ ! -s "$MN_MUNGE/munge.key" ]; then
  dd if=/dev/urandom bs=1 count=1024 of="$MN_MUNGE/munge.key" 2>/dev/null
  chown munge:munge "$MN_MUNGE/munge.key"
  chmod 0400 "$MN_MUNGE/munge.key"
fi
runuser -u munge -- /usr/sbin/munged --socket="$MN_SOCKET" --key-file="$MN_MUNGE/munge.key" \
  --pid-file="$MN_MUNGE/munged.pid" --log-file="$MN_MUNGE/munged.log" \
  --seed-file="$MN_MUNGE/munged.seed" || skip "munged did not start (see $MN_MUNGE/munged.log)"

if [ "$mode" = netns ]; then
  ctld_addr=$MN_CTLD_ADDR
  {
    echo "127.0.0.1 localhost"
    echo "$MN_CTLD_ADDR login"
    for node in "${MN_NODES[@]}"; do echo "$(mn_addr "$node") $node"; done
  } >"$MN_ROOT/hosts"
  # The bridge sits in a hub namespace, not in the machine's own, where host firewall FORWARD
  # rules could drop the traffic. Nothing is routed off the machine (ip_forward is left alone).
  ip netns add "$MN_HUB" && ip -n "$MN_HUB" link add br0 type bridge && ip -n "$MN_HUB" link set br0 up &&
    ip link add "$MN_ROOT_LINK" type veth peer name login netns "$MN_HUB" &&
    ip -n "$MN_HUB" link set login master br0 up &&
    ip addr add "$MN_CTLD_ADDR/24" dev "$MN_ROOT_LINK" && ip link set "$MN_ROOT_LINK" up ||
    skip "could not build the bridge namespace $MN_HUB"
  for node in "${MN_NODES[@]}"; do
    ns=$(mn_ns "$node")
    ip netns add "$ns" && ip -n "$ns" link set lo up &&
      ip -n "$MN_HUB" link add "$node" type veth peer name eth0 netns "$ns" &&
      ip -n "$MN_HUB" link set "$node" master br0 up &&
      ip -n "$ns" addr add "$(mn_addr "$node")/24" dev eth0 && ip -n "$ns" link set eth0 up ||
      skip "could not build the namespace of $node"
  done
else
  ctld_addr=127.0.0.1
fi

{
  cat <<CONF
# asyncflow-multinode config $MN_CONF_VERSION
ClusterName=$MN_CLUSTER
SlurmctldHost=localhost($ctld_addr)
SlurmctldPort=$MN_CTLD_PORT
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$MN_SOCKET
StateSaveLocation=$MN_ROOT/state
SlurmdSpoolDir=$MN_ROOT/spool/%n
SlurmctldPidFile=$MN_RUN/slurmctld.pid
SlurmdPidFile=$MN_RUN/slurmd-%n.pid
SlurmctldLogFile=$MN_LOG/slurmctld.log
SlurmdLogFile=$MN_LOG/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Every node says 2 CPUs whatever the machine has, so tests place the same way everywhere.
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SlurmdTimeout=20
JobRequeue=0
SchedulerParameters=batch_sched_delay=0
# Stand-in GPUs (see gres.conf below and mn_gpus in env.sh).
GresTypes=gpu
CONF
  port=$MN_SLURMD_PORT
  for node in "${MN_NODES[@]}"; do
    if [ "$mode" = netns ]; then
      echo "NodeName=$node NodeAddr=$(mn_addr "$node") NodeHostname=$node Port=$MN_SLURMD_PORT CPUs=2 RealMemory=2000 Gres=gpu:$(mn_gpus "$node") State=UNKNOWN"
    else
      echo "NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$(hostname) Port=$port CPUs=2 RealMemory=2000 Gres=gpu:$(mn_gpus "$node") State=UNKNOWN"
    fi
    port=$((port + 1))
  done
  echo "PartitionName=all Nodes=$(IFS=,; echo "${MN_NODES[*]}") Default=YES MaxTime=INFINITE State=UP"
} >"$MN_CONF"

# The GPUs are character devices with /dev/null's numbers, one pair per node: Slurm binds them
# to jobs and steps and sets CUDA_VISIBLE_DEVICES as for real ones; nothing opens them.
rm -rf "$MN_GPU"
: >"$MN_ROOT/gres.conf"
echo "AutoDetect=off" >>"$MN_ROOT/gres.conf"
for node in "${MN_NODES[@]}"; do
  last=$(($(mn_gpus "$node") - 1))
  mkdir -p "$MN_GPU/$node"
  for i in $(seq 0 $last); do
    mknod "$MN_GPU/$node/gpu$i" c 1 3 || skip "cannot make the stand-in GPU $MN_GPU/$node/gpu$i"
  done
  echo "NodeName=$node Name=gpu File=$MN_GPU/$node/gpu[0-$last]" >>"$MN_ROOT/gres.conf"
done

/usr/sbin/slurmctld || skip "slurmctld did not start (see $MN_LOG/slurmctld.log)"
for node in "${MN_NODES[@]}"; do
  if [ "$mode" = netns ]; then
    # The node's own host name and hosts file, visible inside its namespaces only.
    nsenter --net="/run/netns/$(mn_ns "$node")" unshare --uts --mount --propagation slave \
      bash -c "hostname $node && mount --bind $MN_ROOT/hosts /etc/hosts && exec /usr/sbin/slurmd -N $node" ||
      skip "slurmd of $node did not start (see $MN_LOG/slurmd-$node.log)"
  else
    /usr/sbin/slurmd -N "$node" || skip "slurmd of $node did not start (see $MN_LOG/slurmd-$node.log)"
  fi
done
# A deadline, not a count: each sinfo may itself wait up to 3 s while slurmctld is not there.
deadline=$((SECONDS + 20))
while [ $SECONDS -lt $deadline ]; do
  if all_idle; then
    echo "$mode" >"$MN_MODE_FILE"
    echo "multinode: up ($mode mode, ${MN_NODES[*]}, partition all; SLURM_CONF=$MN_CONF)"
    exit 0
  fi
  sleep 0.1
done
skip "the nodes did not become idle within 20 s (see $MN_LOG/)"
