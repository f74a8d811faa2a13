#!/usr/bin/env bash
# Stops the daemons that scripts/slurm/setup.sh started (by their pid files); idempotent.
set -u
for pidfile in /run/slurm/slurmd.pid /run/slurm/slurmctld.pid /run/munge/munged.pid; do
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")" && echo "stopped $(basename "$pidfile" .pid)"
  fi
done
exit 0
