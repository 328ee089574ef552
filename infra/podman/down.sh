#!/usr/bin/env bash
# Stop the containers named bureau-* and the podman API service started by up.sh.
# Safe to run when nothing is running.
set -euo pipefail

CACHE_DIR="${BUREAU_CACHE_DIR:-$HOME/.cache/bureau}"
STATE_DIR="$CACHE_DIR/podman"
CONF="$STATE_DIR/containers.conf"
SOCK="$STATE_DIR/podman.sock"
PIDFILE="$STATE_DIR/podman.pid"

log() { printf 'podman/down: %s\n' "$*" >&2; }

if command -v podman >/dev/null 2>&1; then
    [[ -f $CONF ]] && export CONTAINERS_CONF="$CONF"
    mapfile -t ids < <(podman ps -a -q --filter 'name=^bureau-' 2>/dev/null || true)
    if ((${#ids[@]})); then
        log "removing ${#ids[@]} bureau-* container(s)"
        podman rm -f -t 5 "${ids[@]}" >/dev/null 2>&1 || true
    fi
fi

if [[ -f $PIDFILE ]]; then
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null \
        && grep -q 'podman' "/proc/$pid/cmdline" 2>/dev/null; then
        log "stopping service pid $pid"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "service pid $pid did not stop; sending SIGKILL"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$PIDFILE"
fi
rm -f "$SOCK"
