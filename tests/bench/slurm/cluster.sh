#!/usr/bin/env bash
# A private single-node Slurm for the tests: its own munged (own key, own socket) and its own
# slurmctld + slurmd on loopback, with every file (slurm.conf, state, spool, logs, pid files) in
# one temp folder. Nothing reads or writes /etc/slurm, /etc/munge or a system munged: every
# command finds the cluster through SLURM_CONF, and slurm.conf's AuthInfo names our socket.
#
# Sourced by tests:
#   source tests/bench/slurm/cluster.sh
#   slurm_up            # -> SLURM_DIR, SLURM_CONF (exported), SLURM_NODE; waits for the node idle
#   ... sbatch / squeue / scontrol / sinfo ...
#   slurm_down          # cancels jobs, stops the daemons, kills what is left, removes SLURM_DIR
# slurm_up installs no trap: the caller's EXIT trap must call slurm_down (safe to call twice).
#
# Run directly, it is a self-check: start, run a 3-task array of a stand-in job, stop.
#   bash tests/bench/slurm/cluster.sh
#
# Needs root (slurmd launches jobs as their user) and Debian's slurm-wlm + munge
# (scripts/setup.sh). Made for containers: no cgroups (proctrack/linuxproc, task/none, no job
# accounting), no systemd, node address 127.0.0.1 whatever the hostname resolves to, no
# resource-limit propagation, free ports chosen at start.

SLURM_DIR=""
SLURM_NODE=""
_slurm_pids=() # munged slurmctld slurmd, in start order

_slurm_log() { printf '[slurm] %s\n' "$*" >&2; }

# slurm_logs: the daemons' logs (the last lines of each) on stderr.
slurm_logs() {
  local f
  [[ -n $SLURM_DIR && -d $SLURM_DIR/log ]] || return 0
  for f in "$SLURM_DIR"/log/*; do
    [[ -s $f ]] || continue
    # A daemon's stdout/stderr (*.out) repeats its log file; it matters when that is empty.
    [[ $f == *.out && -s ${f%.out}.log ]] && continue
    printf '%s\n' "----- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}

_slurm_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# _slurm_wait SECONDS PID WHAT CMD...: retries CMD every 0.2 s until it succeeds; fails with the
# logs after SECONDS, or at once when the daemon PID has exited.
_slurm_wait() {
  local secs=$1 pid=$2 what=$3 i
  shift 3
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      _slurm_log "error: $what: the daemon (pid $pid) exited"
      slurm_logs
      return 1
    fi
    sleep 0.2
  done
  _slurm_log "error: $what (waited ${secs} s)"
  slurm_logs
  return 1
}

_slurm_node_idle() {
  local state
  state=$(sinfo -h -N -n "$SLURM_NODE" -o %T 2>/dev/null) || return 1
  [[ $state == idle ]]
}

slurm_up() {
  local b v missing=()
  for b in munged mungekey munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel \
    python3; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  if ((${#missing[@]})); then
    _slurm_log "error: not installed: ${missing[*]} (run scripts/setup.sh: Debian slurm-wlm, munge)"
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    _slurm_log "error: the private Slurm needs root (slurmd starts jobs as their user)"
    return 1
  fi
  # Our cluster only: no SLURM_*/SBATCH_*/... variables of an outer job or of a user's shell
  # (SLURM_CONF, SBATCH_PARTITION, SLURM_ARRAY_TASK_ID, ...).
  for v in $(compgen -v | grep -E '^(SLURM|SBATCH|SALLOC|SRUN|SQUEUE|SINFO|SCONTROL|SCANCEL)_' \
    || true); do
    unset "$v"
  done
  # A short path: munged's socket path must fit in sun_path (108 bytes).
  SLURM_DIR=$(mktemp -d /tmp/wattserve-slurm.XXXXXX) || return 1
  # munged refuses a socket below a folder that not everyone may search; the key is 0600.
  chmod 755 "$SLURM_DIR"
  mkdir -p "$SLURM_DIR"/{munge,state,spool,log,run}
  local d=$SLURM_DIR

  # munge: our key, our socket, our log/pid/seed files.
  mungekey --create --keyfile="$d/munge/munge.key" >/dev/null 2>&1 \
    || dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$d/munge/munge.key"
  local sock=$d/munge/munge.socket
  munged --foreground --socket="$sock" --key-file="$d/munge/munge.key" \
    --log-file="$d/log/munged.log" --pid-file="$d/munge/munged.pid" \
    --seed-file="$d/munge/munged.seed" >>"$d/log/munged.log" 2>&1 &
  _slurm_pids+=($!)
  # shellcheck disable=SC2016
  _slurm_wait 20 "${_slurm_pids[0]}" "munged did not answer on $sock" \
    bash -c 'munge -n -S "$1" | unmunge -S "$1"' _ "$sock" || return 1

  # slurm.conf: the node is this machine, at 127.0.0.1, with the CPUs and memory slurmd sees. It
  # is named localhost and slurmd is told so (-N), so that the machine's hostname plays no part:
  # it need not resolve, and a container's (e.g. a 12-digit id) need not suit Slurm's host lists.
  SLURM_NODE=localhost
  local hw cpus mem topo="" ctld_port slurmd_port k
  # (SLURM_CONF names our slurm.conf, not written yet: slurmd -C reads no system one.)
  hw=$(SLURM_CONF=$d/slurm.conf slurmd -C 2>/dev/null | head -n 1)
  cpus=$(sed -n 's/.*[[:space:]]CPUs=\([0-9][0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.*[[:space:]]RealMemory=\([0-9][0-9]*\).*/\1/p' <<<"$hw")
  [[ -n $cpus ]] || cpus=$(nproc)
  [[ -n $mem ]] || mem=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
  for k in Boards SocketsPerBoard CoresPerSocket ThreadsPerCore; do  # as slurmd -C sees it
    [[ $hw =~ [[:space:]]($k=[0-9]+) ]] && topo+=" ${BASH_REMATCH[1]}"
  done
  ctld_port=$(_slurm_free_port) || return 1
  slurmd_port=$(_slurm_free_port) || return 1
  while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(_slurm_free_port) || return 1; done
  : >"$d/plugstack.conf"
  cat >"$d/slurm.conf" <<EOF
# Written by tests/bench/slurm/cluster.sh: a private single-node cluster.
ClusterName=wattserve-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$d/plugstack.conf
# No cgroups, no job accounting, no MPI: what works in a container.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
PropagateResourceLimits=NONE
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# The node's configured size counts, even if slurmd finds less (e.g. in a container).
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
# Finished jobs stay visible to scontrol for 10 minutes (there is no accounting for sacct).
MinJobAge=600
NodeName=$SLURM_NODE NodeHostname=$SLURM_NODE NodeAddr=127.0.0.1 CPUs=$cpus$topo RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$d/slurm.conf

  slurmctld -D -i -f "$SLURM_CONF" >>"$d/log/slurmctld.out" 2>&1 &
  _slurm_pids+=($!)
  _slurm_wait 60 "${_slurm_pids[1]}" "slurmctld did not answer on port $ctld_port" \
    scontrol ping || return 1
  slurmd -D -N "$SLURM_NODE" -f "$SLURM_CONF" >>"$d/log/slurmd.out" 2>&1 &
  _slurm_pids+=($!)
  if ! _slurm_wait 60 "${_slurm_pids[2]}" "node $SLURM_NODE did not become idle" _slurm_node_idle; then
    sinfo -N -o '%N %T %E' >&2 || true
    return 1
  fi
  _slurm_log "up in $d: node $SLURM_NODE ($cpus CPUs, $mem MB), slurmctld :$ctld_port," \
    "slurmd :$slurmd_port"
}

# Processes that carry our SLURM_CONF in their environment: job steps and their children.
_slurm_leftovers() {
  local p
  [[ -n ${SLURM_CONF-} ]] || return 0
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" || ${p#/proc/} == "$BASHPID" ]] && continue
    if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF"; then
      echo "${p#/proc/}"
    fi
  done
}

# _slurm_kill PID...: TERM, up to 10 s, then KILL.
_slurm_kill() {
  local p i left
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    left=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && left=1; done
    ((left)) || return 0
    sleep 0.2
  done
  kill -KILL "$@" 2>/dev/null || true
}

# slurm_down: cancels our jobs, stops slurmd, slurmctld and munged, kills any process left with
# our SLURM_CONF, removes SLURM_DIR. Does nothing when the cluster is not up.
slurm_down() {
  local i p jobs rev=() left=()
  [[ -n $SLURM_DIR ]] || return 0
  if ((${#_slurm_pids[@]} >= 2)) && kill -0 "${_slurm_pids[1]}" 2>/dev/null; then
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
    if [[ -n ${jobs// /} ]]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        [[ -z $(squeue -h 2>/dev/null) ]] && break
        sleep 0.2
      done
    fi
  fi
  for ((i = ${#_slurm_pids[@]} - 1; i >= 0; i--)); do rev+=("${_slurm_pids[i]}"); done
  _slurm_kill "${rev[@]}"
  for p in "${rev[@]}"; do wait "$p" 2>/dev/null || true; done
  mapfile -t left < <(_slurm_leftovers)
  if ((${#left[@]})); then
    _slurm_log "killing leftover job processes: ${left[*]}"
    _slurm_kill "${left[@]}"
  fi
  rm -rf "$SLURM_DIR"
  SLURM_DIR=""
  _slurm_pids=()
  unset SLURM_CONF
}

# slurm_wait_job JOBID SECONDS: polls squeue until the job (every array task) has left the
# queue; fails (with squeue and the logs) when it is still there after SECONDS.
slurm_wait_job() {
  local job=$1 secs=$2 i
  for ((i = 0; i < secs * 2; i++)); do
    [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && return 0
    sleep 0.5
  done
  _slurm_log "error: job $job still queued or running after ${secs} s"
  squeue -j "$job" >&2 || true
  slurm_logs
  return 1
}

# slurm_task_states JOBID: "TASK STATE EXITCODE" for every array task of a finished job, from
# scontrol (kept MinJobAge seconds; there is no accounting for sacct).
slurm_task_states() {
  scontrol -o show job "$1" | python3 -c '
import sys
for line in sys.stdin:
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    print(f.get("ArrayTaskId", "-"), f.get("JobState", "?"), f.get("ExitCode", "?"))' | sort -n
}

# slurm_stand_in_check: on a running cluster, a 3-task array of a stand-in job that writes its
# task id and the array's task count; checks the three files and that every task COMPLETED.
slurm_stand_in_check() {
  local out=$SLURM_DIR/stand-in job t states
  mkdir -p "$out"
  # shellcheck disable=SC2016
  printf '%s\n' '#!/bin/bash' '#SBATCH --job-name=stand-in' \
    'echo "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" >"$1/task-$SLURM_ARRAY_TASK_ID"' \
    >"$out/stand-in.sbatch"
  job=$(sbatch --parsable --array=0-2 --chdir="$out" --output="$out/slurm-%A_%a.out" \
    "$out/stand-in.sbatch" "$out") || return 1
  job=${job%%;*}
  _slurm_log "stand-in: submitted array job $job"
  slurm_wait_job "$job" 120 || return 1
  states=$(slurm_task_states "$job") || return 1
  for t in 0 1 2; do
    if [[ $(cat "$out/task-$t" 2>/dev/null) != "$t/3" ]] \
      || ! grep -qx "$t COMPLETED 0:0" <<<"$states"; then
      _slurm_log "error: stand-in task $t wrote '$(cat "$out/task-$t" 2>/dev/null)', expected" \
        "'$t/3'; task states:"
      printf '%s\n' "$states" >&2
      cat "$out"/slurm-*.out >&2 2>/dev/null || true
      slurm_logs
      return 1
    fi
  done
  _slurm_log "stand-in: ok, 3 array tasks COMPLETED, wrote: $(cat "$out"/task-* | tr '\n' ' ')"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  trap 'slurm_down' EXIT
  trap 'exit 143' TERM INT HUP
  slurm_up
  slurm_stand_in_check
fi
