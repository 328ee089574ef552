#!/usr/bin/env bash
# Build the FerretDB 1.24.2 wrapper (static, SQLite + PostgreSQL handlers) into the
# bureau cache once; print the binary path as the last line of stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest_dir="${BUREAU_CACHE_DIR:-$HOME/.cache/bureau}/ferretdb-1.24.2"
dest="$dest_dir/ferretdb"

if [[ ! -x "$dest" ]]; then
    command -v go >/dev/null || { echo "provision.sh: Go toolchain not found on PATH" >&2; exit 1; }
    mkdir -p "$dest_dir"
    # Build next to the destination so the final mv is an atomic rename on one filesystem.
    tmp="$(mktemp "$dest_dir/.ferretdb.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    echo "provision.sh: building FerretDB into $dest (first run takes a minute or more)" >&2
    (cd "$here" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w' -o "$tmp" .) >&2
    chmod 0755 "$tmp"
    mv -f "$tmp" "$dest"
fi

echo "$dest"
