# shellcheck shell=bash
# A real one-node Slurm (Debian 12's 22.05) for CI, run as root without systemd. Source it, then:
#   slurm_up SCRATCH_DIR   installs the packages if needed, starts munged, writes a one-node
#                          slurm.conf under SCRATCH_DIR, exports SLURM_CONF, starts slurmctld and
#                          slurmd, waits (60 s at most) until the node is idle
#   slurm_down             stops the Slurm daemons, and munged if slurm_up started it
#   apt_install LOG PKG... installs Debian packages without their recommends, updating the
#                          index when the first try fails; apt's output goes to LOG
# All return non-zero on failure (slurm_up printing the daemons' logs, apt_install LOG), safe
# under `set -e`.

_SLURM_DIR=""        # SCRATCH_DIR of the running cluster
_SLURM_OWN_MUNGED="" # munged's pid when slurm_up started it

apt_install() {
    local log="${1:?usage: apt_install LOG PKG...}"
    shift
    local apt=(apt-get install -y -q --no-install-recommends "$@")
    export DEBIAN_FRONTEND=noninteractive
    if ! "${apt[@]}" >"$log" 2>&1; then
        { apt-get update -q && "${apt[@]}"; } >>"$log" 2>&1 || { cat "$log" >&2; return 1; }
    fi
}

slurm_up() {
    local dir="${1:?usage: slurm_up SCRATCH_DIR}" pkgs=(slurmctld slurmd slurm-client munge)
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)" || return 1
    _SLURM_DIR="$dir"
    if ! command -v sbatch >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
        echo "== installing ${pkgs[*]}"
        # Recommends (Slurm's -dev and exotic plugins) are not needed: half the download.
        apt_install "$dir/apt.log" "${pkgs[@]}" || return 1
    fi

    # munge: munged runs as the munge user and refuses a key that others can read or that it
    # does not own. Debian's postinst makes the key; without one, 1 KiB from /dev/urandom will do.
    if [ ! -s /etc/munge/munge.key ]; then
        install -d -o munge -g munge -m 0700 /etc/munge || return 1
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none || return 1
    fi
    chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key || return 1
    # /run/munge is tmpfs-made by systemd (or the init script) elsewhere; here it may be missing.
    install -d -o munge -g munge -m 0755 /run/munge || return 1
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge || return 1
    if ! munge -n </dev/null >/dev/null 2>&1; then
        # munged returns once its socket is up; --force: start despite a stale socket.
        runuser -u munge -- munged --force || { cat /var/log/munge/munged.log >&2; return 1; }
        _SLURM_OWN_MUNGED="$(cat /run/munge/munged.pid 2>/dev/null)" || true
        munge -n </dev/null | unmunge >/dev/null || { cat /var/log/munge/munged.log >&2; return 1; }
    fi

    # The conf: this host alone, at 127.0.0.1; no cgroups (no cgroup.conf needed with
    # proctrack/linuxproc and task/none), no accounting, all state and logs under $dir.
    local node cpus mem
    node="$(hostname -s)"
    cpus="$(nproc)"
    mem="$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')"
    mem=$((${mem:-2048} * 9 / 10)) # above what slurmd finds, the node is drained ("Low RealMemory")
    mkdir -p "$dir/state" "$dir/spool" || return 1
    export SLURM_CONF="$dir/slurm.conf"
    # sched_interval=1: the main scheduler runs each second (not 60), so queued and dependent
    # jobs start within a second or so of being eligible.
    cat >"$SLURM_CONF" <<EOF
ClusterName=automl-ci
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    # Both daemonise. -c: no state from an earlier run; -N: the node's name, whatever the host's.
    if ! slurmctld -c -f "$SLURM_CONF" || ! slurmd -f "$SLURM_CONF" -N "$node"; then
        _slurm_logs
        return 1
    fi
    # Until the node is idle; sooner out if a daemon has died (its pid file outlives it).
    local deadline=$((SECONDS + 60)) d
    while [ "$SECONDS" -lt "$deadline" ]; do
        if [ "$(timeout 5 sinfo -h -o %T 2>/dev/null)" = idle ]; then return 0; fi
        for d in slurmctld slurmd; do
            if [ -s "$dir/$d.pid" ] && ! kill -0 "$(cat "$dir/$d.pid")" 2>/dev/null; then deadline=0; fi
        done
        sleep 0.5
    done
    echo "slurm: the node did not become idle" >&2
    sinfo -N -l >&2 || true
    _slurm_logs
    return 1
}

_slurm_logs() {
    local f
    for f in "$_SLURM_DIR/slurmctld.log" "$_SLURM_DIR/slurmd.log" /var/log/munge/munged.log; do
        if [ -r "$f" ]; then
            echo "---- $f" >&2
            tail -n 50 "$f" >&2
        fi
    done
}

# Waits (10 s at most) until none of the given pids runs.
_slurm_wait_gone() {
    local pid alive _
    for _ in $(seq 20); do
        alive=""
        for pid in "$@"; do
            if kill -0 "$pid" 2>/dev/null; then alive=1; fi
        done
        if [ -z "$alive" ]; then return 0; fi
        sleep 0.5
    done
    return 1
}

slurm_down() {
    if [ -z "$_SLURM_DIR" ]; then return 0; fi
    local pids=() f pid
    for f in "$_SLURM_DIR/slurmctld.pid" "$_SLURM_DIR/slurmd.pid"; do
        if [ -s "$f" ]; then pids+=("$(cat "$f")"); fi
    done
    # slurmctld stops itself and every slurmd; what still runs after 10 s is killed.
    timeout 10 scontrol shutdown >/dev/null 2>&1 || true
    if ! _slurm_wait_gone "${pids[@]}"; then
        for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    fi
    # munged removes its socket on SIGTERM; waiting lets a following slurm_up start a fresh one.
    if [ -n "$_SLURM_OWN_MUNGED" ]; then
        kill "$_SLURM_OWN_MUNGED" 2>/dev/null || true
        _slurm_wait_gone "$_SLURM_OWN_MUNGED" || kill -9 "$_SLURM_OWN_MUNGED" 2>/dev/null || true
    fi
    _SLURM_OWN_MUNGED=""
    _SLURM_DIR=""
}
