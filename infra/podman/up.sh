#!/usr/bin/env bash
# Start a rootful podman with a Docker-compatible API socket, for testcontainers.
#
# Idempotent: installs podman/runc (and mmdebstrap for infra/images.sh) only when
# missing, writes containers.conf into the state dir, and starts
# `podman system service` only when the socket does not already answer.
#
# Prints on stdout only `export ...` lines; use:   eval "$(infra/podman/up.sh)"
# Everything else goes to stderr.
set -euo pipefail

CACHE_DIR="${BUREAU_CACHE_DIR:-$HOME/.cache/bureau}"
STATE_DIR="$CACHE_DIR/podman"
CONF="$STATE_DIR/containers.conf"
SOCK="$STATE_DIR/podman.sock"
PIDFILE="$STATE_DIR/podman.pid"
LOG="$STATE_DIR/podman.log"

log() { printf 'podman/up: %s\n' "$*" >&2; }

# --- packages -----------------------------------------------------------------
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        log "missing ${need[*]} and not root; install them first"
        exit 1
    fi
    log "installing ${need[*]}"
    t0=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # uidmap: newuidmap/newgidmap; netavark+iptables: networks and published ports;
    # catatonit: `--init`.
    apt-get install -y -qq --no-install-recommends \
        "${need[@]}" uidmap iptables netavark aardvark-dns catatonit \
        ca-certificates >&2
    log "installed in $((SECONDS - t0)) s"
fi

# --- configuration ------------------------------------------------------------
mkdir -p "$STATE_DIR"
conf_tmp="$(mktemp "$STATE_DIR/containers.conf.XXXXXX")"
cat >"$conf_tmp" <<'EOF'
# Written by infra/podman/up.sh; point CONTAINERS_CONF here.
[containers]
# The default ulimits (RLIMIT_NPROC) cannot be set in this sandbox.
default_ulimits = []

[engine]
# No systemd here: cgroupfs; crun fails on the hybrid cgroup layout, runc works.
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
EOF
if cmp -s "$conf_tmp" "$CONF"; then rm -f "$conf_tmp"; else mv -f "$conf_tmp" "$CONF"; fi
export CONTAINERS_CONF="$CONF"

ping_ok() {
    [[ -S $SOCK ]] && [[ $(curl -fsS --max-time 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null) == OK ]]
}

# --- service ------------------------------------------------------------------
if ping_ok; then
    log "service already answers on $SOCK"
else
    if [[ -f $PIDFILE ]]; then
        old="$(cat "$PIDFILE" 2>/dev/null || true)"
        if [[ -n $old ]] && kill -0 "$old" 2>/dev/null \
            && grep -q 'podman' "/proc/$old/cmdline" 2>/dev/null; then
            log "stale service pid $old does not answer; stopping it"
            kill "$old" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$PIDFILE"
    fi
    rm -f "$SOCK"
    log "starting podman system service on $SOCK (log: $LOG)"
    # setsid: own session, so it survives the calling shell and its signals.
    # (A non-interactive shell's background job is not a group leader, so setsid
    # does not fork and $! is podman's pid.)
    nohup setsid podman system service --time=0 "unix://$SOCK" \
        </dev/null >>"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    t0=$SECONDS
    until ping_ok; do
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            log "service exited; last log lines:"
            tail -n 20 "$LOG" >&2
            exit 1
        fi
        if ((SECONDS - t0 > 30)); then
            log "service did not answer within 30 s; last log lines:"
            tail -n 20 "$LOG" >&2
            exit 1
        fi
        sleep 0.1
    done
    log "service up (pid $(cat "$PIDFILE"))"
fi

# --- exports for the caller -----------------------------------------------------
cat <<EOF
export CONTAINERS_CONF='$CONF'
export DOCKER_HOST='unix://$SOCK'
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_CONNECTION_MODE=docker_host
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
EOF
