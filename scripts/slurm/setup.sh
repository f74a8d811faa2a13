#!/usr/bin/env bash
# Starts a single-node Slurm cluster (node "localhost", partition "debug") on this machine, for the
# integration tests in tests/slurm/. Idempotent: installs slurm-wlm, munge and mpich with apt only
# when they are missing, and starts only the daemons that are not running.
# It never fails a CI job for lack of means: when it cannot run (not root, no apt, a failed
# install) it prints "SKIP: <reason>" and exits 0, and the integration test then skips visibly.
set -uo pipefail

skip() { echo "SKIP: Slurm test cluster not started: $*"; exit 0; }
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
idle() { timeout 2 sinfo -h -o %T 2>/dev/null | grep -q idle; }

if command -v sinfo >/dev/null && idle; then echo "slurm: already up"; exit 0; fi
[ "$(id -u)" = 0 ] || skip "needs root (daemons are started by hand, no systemd)"

missing=()
for pair in slurmctld:slurm-wlm slurmd:slurm-wlm munged:munge mpicc:libmpich-dev mpiexec:mpich; do
  command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || skip "apt-get not available to install ${missing[*]}"
  echo "slurm: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || skip "apt-get update failed"
  apt-get install -y -qq --no-install-recommends slurm-wlm munge mpich libmpich-dev >/dev/null ||
    skip "apt-get install slurm-wlm munge mpich libmpich-dev failed"
fi

mkdir -p /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm /etc/slurm
chown munge:munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
running /run/munge/munged.pid || runuser -u munge -- /usr/sbin/munged || skip "munged did not start"

NCPU=$(nproc)
MEM=$(($(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 * 8 / 10))
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
running /run/slurm/slurmctld.pid || /usr/sbin/slurmctld || skip "slurmctld did not start"
# -N: the node is called "localhost" in slurm.conf, whatever this machine's host name is.
running /run/slurm/slurmd.pid || /usr/sbin/slurmd -N localhost || skip "slurmd did not start"
for _ in $(seq 1 100); do
  if idle; then echo "slurm: up ($NCPU CPUs, partition debug)"; exit 0; fi
  sleep 0.1
done
skip "the node did not become idle within 10 s (see /var/log/slurm/)"
