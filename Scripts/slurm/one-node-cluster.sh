#!/bin/bash
# A one-node Slurm on this machine, for trying the Slurm scripts without a cluster (as root, no systemd):
#   apt-get install slurm-wlm munge                 # Debian/Ubuntu: slurmctld, slurmd, srun, munged
#   Scripts/slurm/one-node-cluster.sh start         # writes $DIR/slurm.conf, starts munged, slurmctld, slurmd
#   export SLURM_CONF=/var/tmp/slurm/slurm.conf     # then srun, sbatch, squeue, scancel as usual
#   Scripts/slurm/one-node-cluster.sh stop          # stops slurmd, slurmctld, and munged if start started it
# One node (`hostname -s`) with the CPUs and memory `slurmd -C` reports, one partition `debug`,
# MpiDefault=none (pass `srun --mpi=pmix`), no cgroups (proctrack/linuxproc, task/none).
set -euo pipefail
dir=${DIR:-/var/tmp/slurm}
conf=$dir/slurm.conf
case "${1:-}" in
start)
  mkdir -p "$dir/ctld" "$dir/d" "$dir/log" /run/munge
  chown munge:munge /run/munge
  if ! pgrep -x munged >/dev/null; then
    [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null; }
    chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
    runuser -u munge -- munged --force
    touch "$dir/munged.ours"
  fi
  node=$(hostname -s)
  hw=$(slurmd -C | head -1)     # NodeName=<host> CPUs=… Boards=… SocketsPerBoard=… RealMemory=…
  cat > "$conf" <<CONF
ClusterName=onenode
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
JobRequeue=1
$hw
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  export SLURM_CONF=$conf
  slurmctld -f "$conf"          # daemonises; -D keeps it in the foreground
  slurmd -f "$conf"
  for _ in $(seq 30); do
    sinfo -h -o %T 2>/dev/null | grep -qx idle && break
    sleep 1
  done
  sinfo
  echo "export SLURM_CONF=$conf"
  ;;
stop)
  for p in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
    [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
  done
  if [ -e "$dir/munged.ours" ] && [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    rm -f "$dir/munged.ours"
  fi
  ;;
*) echo "usage: $0 start|stop   (DIR=$dir)" >&2; exit 2 ;;
esac
