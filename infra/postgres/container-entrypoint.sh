#!/bin/sh
# Entrypoint of localhost/bureau-ferretdb-pg: a private PostgreSQL and FerretDB on it,
# as bureau/embedded/ runs them without containers. Listens on 0.0.0.0:27017.
set -eu

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=/var/lib/bureau/pgdata

# The server refuses root; the postgres user comes with Debian's package.
install -d -o postgres -g postgres -m 0700 "$data"
fresh=
if [ ! -s "$data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >/dev/null
    fresh=1
fi
runuser -u postgres -- "$bin/postgres" -D "$data" -p 5432 -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories= -c plan_cache_mode=force_custom_plan &

tries=0
until "$bin/pg_isready" -q -h 127.0.0.1 -p 5432 -U postgres; do
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { echo "PostgreSQL did not start" >&2; exit 1; }
    sleep 0.1
done
if [ -n "$fresh" ]; then
    psql() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres "$@"; }
    psql -d postgres -c "CREATE DATABASE ferretdb"
    psql -d ferretdb -f /etc/bureau/id_index.sql
fi

exec /usr/local/bin/ferretdb --handler=postgresql \
    --postgresql-url=postgres://postgres@127.0.0.1:5432/ferretdb \
    --listen-addr=0.0.0.0:27017 "$@"
