#!/usr/bin/env bash
# Stops the 3-node test cluster that start.sh started, and removes its namespaces and links.
# Idempotent; leaves the one-node cluster of scripts/slurm/setup.sh alone (it has its own pids).
set -u
. "$(dirname "$0")/env.sh"

# A zombie (PID 1 here reaps orphans slowly) counts as gone.
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! awk '{exit $3 != "Z"}' "/proc/$1/stat"; }
stop_pidfile() { # signal pidfile: stop the process it names, waiting up to 5 s
  local pid
  [ -s "$2" ] || return 0
  pid=$(cat "$2")
  if alive "$pid"; then
    kill "-$1" "$pid" 2>/dev/null
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$2"
}

for node in "${MN_NODES[@]}"; do stop_pidfile TERM "$MN_RUN/slurmd-$node.pid"; done
# Job steps outlive their slurmd, and slurmstepd ignores SIGTERM: in netns mode everything left in
# a node's namespace is the cluster's, so it is killed outright.
if command -v ip >/dev/null; then
  for node in "${MN_NODES[@]}"; do
    ns=$(mn_ns "$node")
    ip netns list 2>/dev/null | grep -qw "$ns" || continue
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    ip netns delete "$ns" 2>/dev/null
  done
  ip link delete "$MN_ROOT_LINK" 2>/dev/null
  ip netns list 2>/dev/null | grep -qw "$MN_HUB" && ip netns delete "$MN_HUB"
  # Deleting a namespace frees its links asynchronously: wait until the machine's end is gone.
  for _ in $(seq 50); do ip link show "$MN_ROOT_LINK" >/dev/null 2>&1 || break; sleep 0.1; done
fi
# multi mode: the steps run in this namespace, beside the one-node cluster's; ours hold files
# under MN_ROOT open (their log), theirs do not. Their tasks go with them.
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill -9 "$1" 2>/dev/null
}
for pid in $(pgrep -x slurmstepd 2>/dev/null); do
  ls -l "/proc/$pid/fd" 2>/dev/null | grep -q " $MN_ROOT/" && kill_tree "$pid"
done
stop_pidfile TERM "$MN_RUN/slurmctld.pid"
stop_pidfile TERM "$MN_MUNGE/munged.pid"
rm -f "$MN_MODE_FILE"
echo "multinode: stopped"
exit 0
