#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries (initdb, postgres, pg_isready, psql) are
# installed; install Debian's package if they are not. Idempotent.
# Usage: infra/postgres/provision.sh   (env: BUREAU_POSTGRES_PACKAGE, default postgresql-15)
# Prints the directory holding the binaries as its last stdout line.
set -euo pipefail

package="${BUREAU_POSTGRES_PACKAGE:-postgresql-15}"

bindir() {
    # Debian keeps the server binaries out of PATH, one directory per major version.
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
    if [[ -n $dir && -x $dir/initdb && -x $dir/postgres ]]; then
        echo "$dir"
        return 0
    fi
    # Elsewhere (another distribution, Homebrew) they are usually on PATH.
    if command -v initdb >/dev/null && command -v postgres >/dev/null; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

if dir="$(bindir)"; then
    echo "$dir"
    exit 0
fi

command -v apt-get >/dev/null || {
    echo "provision.sh: PostgreSQL is not installed and apt-get is not available; install $package (or any PostgreSQL >= 13) by hand" >&2
    exit 1
}
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "provision.sh: installing $package needs root (or sudo)" >&2; exit 1; }
    sudo=(sudo)
fi
echo "provision.sh: installing $package from Debian's packages" >&2
# The package would also create and start a system-wide cluster; bureau runs its own.
"${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/bureau.conf >/dev/null
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2

dir="$(bindir)" || { echo "provision.sh: $package installed but initdb was not found" >&2; exit 1; }
echo "$dir"
