#!/usr/bin/env bash
# Build the local container images that stand in for the official ones:
#
#   localhost/bureau-kafka:<kafka-version>  (for apache/kafka:<4.x>)
#       Debian bookworm + OpenJDK 17 JRE (mmdebstrap) + Kafka's jars from
#       infra/kafka/provision.sh + infra/kafka/container-entrypoint.sh, which reads
#       the same KAFKA_* environment as the official image.
#   localhost/bureau-ferretdb:<ferretdb-version>  (for mongo:<n>)
#       FROM scratch + the static binary from infra/ferretdb/provision.sh, SQLite
#       handler, listening on 0.0.0.0:27017.
#   localhost/bureau-ferretdb-pg:<ferretdb-version>  (for mongo:<n>; not in "all")
#       Debian + postgresql-15 (mmdebstrap) + the same binary, run by
#       infra/postgres/container-entrypoint.sh: FerretDB on a private PostgreSQL,
#       as the embedded default (docs/store.md), on 0.0.0.0:27017.
#
# Usage: infra/images.sh [all|kafka|ferretdb|ferretdb-pg|base]...      (default: all)
# Prints the image names built or found on stdout, one per line; progress and
# timings go to stderr.
#
# Cached: the Debian root filesystem is kept as a tar keyed by suite; an image
# is rebuilt only when its tag is missing or its inputs changed (a hash of the
# inputs is stored as the label bureau.inputs). Set BUREAU_IMAGES_REBUILD=1 to
# force a rebuild of the images (not of the root filesystem).
#
# Env: BUREAU_CACHE_DIR (default ~/.cache/bureau), BUREAU_DEBIAN_SUITE
# (default bookworm), and whatever the provision scripts read (e.g. the Kafka
# version).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${BUREAU_CACHE_DIR:-$HOME/.cache/bureau}"
SUITE="${BUREAU_DEBIAN_SUITE:-bookworm}"
JRE_PKG=openjdk-17-jre-headless
BASE_TAR="$CACHE_DIR/rootfs/$SUITE-jre17.tar"
BASE_IMAGE="localhost/bureau-jre17:$SUITE"
BUILD_ROOT="$CACHE_DIR/image-build"
FERRETDB_LABEL_VERSION_RE='ferretdb-([0-9][0-9A-Za-z.+-]*)'

log() { printf 'images: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# podman needs our containers.conf (ulimits, cgroupfs, runc); up.sh installs
# podman if missing, writes the conf and starts the API service (idempotent).
if [[ -z ${CONTAINERS_CONF:-} ]]; then
    eval "$("$HERE/podman/up.sh")"
fi

image_label() { # image label -> value or empty
    podman image inspect --format "{{ index .Labels \"$2\" }}" "$1" 2>/dev/null || true
}

image_current() { # image hash -> 0 when the tag exists with that inputs hash
    [[ ${BUREAU_IMAGES_REBUILD:-0} != 1 ]] || return 1
    podman image exists "$1" || return 1
    [[ $(image_label "$1" bureau.inputs) == "$2" ]]
}

# --- base: Debian + JRE root filesystem --------------------------------------
build_base() {
    if podman image exists "$BASE_IMAGE"; then
        log "$BASE_IMAGE exists"
        return
    fi
    if [[ ! -s $BASE_TAR ]]; then
        command -v mmdebstrap >/dev/null || {
            log "mmdebstrap missing (infra/podman/up.sh installs it)"
            exit 1
        }
        mkdir -p "$(dirname "$BASE_TAR")"
        log "mmdebstrap $SUITE + $JRE_PKG -> $BASE_TAR"
        local t0 tmp
        t0=$(now)
        tmp="${BASE_TAR%.tar}.tmp$$.tar"  # mmdebstrap picks the format by extension
        trap 'rm -f "$tmp"' EXIT
        # Uses the host's apt sources. Docs, man pages and locales are left out;
        # man1/ must exist for the JRE's update-alternatives slave links.
        # shellcheck disable=SC2016 # "$1" is expanded by mmdebstrap's hook shell
        mmdebstrap --variant=apt --include="$JRE_PKG" \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --essential-hook='mkdir -p "$1"/usr/share/man/man1' \
            --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
            --quiet "$SUITE" "$tmp" >&2
        mv -f "$tmp" "$BASE_TAR"
        trap - EXIT
        log "root filesystem built in $(since "$t0") s ($(du -h "$BASE_TAR" | cut -f1))"
    fi
    local t0
    t0=$(now)
    podman import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/bash"]' \
        "$BASE_TAR" "$BASE_IMAGE" >/dev/null
    log "imported $BASE_IMAGE in $(since "$t0") s"
}

# --- kafka -----------------------------------------------------------------------
build_kafka() {
    local provision="$HERE/kafka/provision.sh" entry="$HERE/kafka/container-entrypoint.sh"
    [[ -x $provision || -f $provision ]] || { log "missing $provision"; exit 1; }
    local t0 dir version tag
    t0=$(now)
    dir="$(bash "$provision" | tail -n 1)"
    [[ -d $dir/libs ]] || { log "provision.sh printed '$dir', which has no libs/"; exit 1; }
    version="${dir##*/kafka-}"
    tag="localhost/bureau-kafka:$version"

    local containerfile hash
    containerfile=$(cat <<EOF
FROM $BASE_IMAGE
COPY libs/ /opt/kafka/libs/
COPY config/ /opt/kafka/config/
COPY container-entrypoint.sh /opt/kafka/bin/container-entrypoint.sh
RUN mkdir -p /opt/kafka/config /var/lib/kafka/data /mnt/shared/config /etc/kafka/secrets \\
 && chmod 0755 /opt/kafka/bin/container-entrypoint.sh
ENV KAFKA_HOME=/opt/kafka
WORKDIR /opt/kafka
EXPOSE 9092
LABEL org.opencontainers.image.title="bureau-kafka" org.opencontainers.image.version="$version"
ENTRYPOINT ["/opt/kafka/bin/container-entrypoint.sh"]
EOF
)
    # Inputs: base image id, Containerfile, entrypoint, the jar names and sizes.
    hash=$({
        podman image inspect --format '{{.Id}}' "$BASE_IMAGE"
        printf '%s\n' "$containerfile"
        cat "$entry"
        cat "$dir"/*.properties 2>/dev/null || true
        (cd "$dir/libs" && find . -type f -printf '%P %s\n' | LC_ALL=C sort)
    } | sha256sum | cut -c1-16)

    if image_current "$tag" "$hash"; then
        log "$tag is current (checked in $(since "$t0") s)"
        echo "$tag"
        return
    fi
    log "building $tag"
    local ctx
    mkdir -p "$BUILD_ROOT"
    ctx="$(mktemp -d "$BUILD_ROOT/kafka-$version.XXXXXX")"
    # Hard links when the cache and the libs share a file system, else a copy.
    cp -al "$dir/libs" "$ctx/libs" 2>/dev/null || cp -a "$dir/libs" "$ctx/libs"
    cp "$entry" "$ctx/container-entrypoint.sh"
    # log4j2.properties from provision.sh, if any, is the entrypoint's base.
    mkdir -p "$ctx/config"
    cp "$dir"/*.properties "$ctx/config/" 2>/dev/null || true
    printf '%s\n' "$containerfile" >"$ctx/Containerfile"
    local tb
    tb=$(now)
    local previous
    previous="$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    podman build --quiet --pull=never --layers=false --label "bureau.inputs=$hash" \
        -t "$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
    rm -rf "$ctx"
    # The image the tag pointed at before is now untagged; drop it unless in use
    # (or unless the build, from cached layers, produced that same image).
    if [[ -n $previous && $previous != "$(podman image inspect --format '{{.Id}}' "$tag")" ]]; then
        podman rmi "$previous" >/dev/null 2>&1 || true
    fi
    log "built $tag in $(since "$tb") s (with provision: $(since "$t0") s)"
    echo "$tag"
}

# --- ferretdb -------------------------------------------------------------------
build_ferretdb() {
    local provision="$HERE/ferretdb/provision.sh"
    [[ -f $provision ]] || { log "missing $provision"; exit 1; }
    local t0 bin version tag
    t0=$(now)
    bin="$(bash "$provision" | tail -n 1)"
    [[ -x $bin ]] || { log "provision.sh printed '$bin', which is not an executable"; exit 1; }
    if [[ $bin =~ $FERRETDB_LABEL_VERSION_RE ]]; then
        version="${BASH_REMATCH[1]}"
    else
        version="${BUREAU_FERRETDB_VERSION:-1.24.2}"
    fi
    version="${version%/}"
    tag="localhost/bureau-ferretdb:$version"

    # A scratch image has no shell, so the data and temp directories come from
    # the build context. The handler, URL and listen address are the default
    # command (CMD); a container command replaces them all.
    local containerfile hash
    containerfile=$(cat <<EOF
FROM scratch
COPY rootfs/ /
ENV TMPDIR=/tmp
EXPOSE 27017
VOLUME ["/state"]
LABEL org.opencontainers.image.title="bureau-ferretdb" org.opencontainers.image.version="$version"
ENTRYPOINT ["/ferretdb"]
CMD ["--handler=sqlite", "--sqlite-url=file:/state/", "--listen-addr=0.0.0.0:27017"]
EOF
)
    hash=$({
        printf '%s\n' "$containerfile"
        sha256sum <"$bin"
    } | sha256sum | cut -c1-16)

    if image_current "$tag" "$hash"; then
        log "$tag is current (checked in $(since "$t0") s)"
        echo "$tag"
        return
    fi
    log "building $tag"
    local ctx
    mkdir -p "$BUILD_ROOT"
    ctx="$(mktemp -d "$BUILD_ROOT/ferretdb-$version.XXXXXX")"
    mkdir -p "$ctx/rootfs/state" "$ctx/rootfs/tmp"
    chmod 0777 "$ctx/rootfs/state"
    chmod 1777 "$ctx/rootfs/tmp"
    cp "$bin" "$ctx/rootfs/ferretdb"
    chmod 0755 "$ctx/rootfs/ferretdb"
    printf '%s\n' "$containerfile" >"$ctx/Containerfile"
    local tb
    tb=$(now)
    local previous
    previous="$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    podman build --quiet --pull=never --layers=false --label "bureau.inputs=$hash" \
        -t "$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
    rm -rf "$ctx"
    # The image the tag pointed at before is now untagged; drop it unless in use
    # (or unless the build, from cached layers, produced that same image).
    if [[ -n $previous && $previous != "$(podman image inspect --format '{{.Id}}' "$tag")" ]]; then
        podman rmi "$previous" >/dev/null 2>&1 || true
    fi
    log "built $tag in $(since "$tb") s (with provision: $(since "$t0") s)"
    echo "$tag"
}

# --- ferretdb-pg: FerretDB on a private PostgreSQL ---------------------------------
PG_TAR="$CACHE_DIR/rootfs/$SUITE-postgresql15.tar"
PG_BASE_IMAGE="localhost/bureau-postgresql15:$SUITE"

build_pg_base() {
    if podman image exists "$PG_BASE_IMAGE"; then
        log "$PG_BASE_IMAGE exists"
        return
    fi
    if [[ ! -s $PG_TAR ]]; then
        command -v mmdebstrap >/dev/null || { log "mmdebstrap missing"; exit 1; }
        mkdir -p "$(dirname "$PG_TAR")"
        log "mmdebstrap $SUITE + postgresql-15 -> $PG_TAR"
        local t0 tmp
        t0=$(now)
        tmp="${PG_TAR%.tar}.tmp$$.tar"
        trap 'rm -f "$tmp"' EXIT
        # No system-wide cluster: the entrypoint makes its own.
        # shellcheck disable=SC2016 # "$1" is expanded by mmdebstrap's hook shell
        mmdebstrap --variant=apt --include=postgresql-15 \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --essential-hook='mkdir -p "$1"/usr/share/man/man1 "$1"/etc/postgresql-common/createcluster.d && echo "create_main_cluster = false" >"$1"/etc/postgresql-common/createcluster.d/bureau.conf' \
            --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
            --quiet "$SUITE" "$tmp" >&2
        mv -f "$tmp" "$PG_TAR"
        trap - EXIT
        log "root filesystem built in $(since "$t0") s ($(du -h "$PG_TAR" | cut -f1))"
    fi
    podman import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/bash"]' \
        "$PG_TAR" "$PG_BASE_IMAGE" >/dev/null
    log "imported $PG_BASE_IMAGE"
}

build_ferretdb_pg() {
    local provision="$HERE/ferretdb/provision.sh" entry="$HERE/postgres/container-entrypoint.sh"
    local sql="$HERE/postgres/id_index.sql"
    local t0 bin version tag
    t0=$(now)
    build_pg_base
    bin="$(bash "$provision" | tail -n 1)"
    [[ -x $bin ]] || { log "provision.sh printed '$bin', which is not an executable"; exit 1; }
    if [[ $bin =~ $FERRETDB_LABEL_VERSION_RE ]]; then
        version="${BASH_REMATCH[1]%/}"
    else
        version="${BUREAU_FERRETDB_VERSION:-1.24.2}"
    fi
    tag="localhost/bureau-ferretdb-pg:$version"

    local containerfile hash
    containerfile=$(cat <<EOF
FROM $PG_BASE_IMAGE
COPY ferretdb /usr/local/bin/ferretdb
COPY container-entrypoint.sh /usr/local/bin/bureau-entrypoint
COPY id_index.sql /etc/bureau/id_index.sql
EXPOSE 27017
LABEL org.opencontainers.image.title="bureau-ferretdb-pg" org.opencontainers.image.version="$version"
ENTRYPOINT ["/usr/local/bin/bureau-entrypoint"]
CMD []
EOF
)
    hash=$({
        podman image inspect --format '{{.Id}}' "$PG_BASE_IMAGE"
        printf '%s\n' "$containerfile"
        cat "$entry" "$sql"
        sha256sum <"$bin"
    } | sha256sum | cut -c1-16)

    if image_current "$tag" "$hash"; then
        log "$tag is current (checked in $(since "$t0") s)"
        echo "$tag"
        return
    fi
    log "building $tag"
    local ctx previous
    mkdir -p "$BUILD_ROOT"
    ctx="$(mktemp -d "$BUILD_ROOT/ferretdb-pg-$version.XXXXXX")"
    cp "$bin" "$ctx/ferretdb"
    cp "$entry" "$ctx/container-entrypoint.sh"
    cp "$sql" "$ctx/id_index.sql"
    chmod 0755 "$ctx/ferretdb" "$ctx/container-entrypoint.sh"
    printf '%s\n' "$containerfile" >"$ctx/Containerfile"
    previous="$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
    podman build --quiet --pull=never --layers=false --label "bureau.inputs=$hash" \
        -t "$tag" -f "$ctx/Containerfile" "$ctx" >/dev/null
    rm -rf "$ctx"
    if [[ -n $previous && $previous != "$(podman image inspect --format '{{.Id}}' "$tag")" ]]; then
        podman rmi "$previous" >/dev/null 2>&1 || true
    fi
    log "built $tag in $(since "$t0") s"
    echo "$tag"
}

targets=("$@")
((${#targets[@]})) || targets=(all)
T0=$(now)
for target in "${targets[@]}"; do
    case $target in
        all) build_base; build_kafka; build_ferretdb ;;
        base) build_base ;;
        kafka) build_base; build_kafka ;;
        ferretdb) build_ferretdb ;;
        ferretdb-pg) build_ferretdb_pg ;;
        *) log "unknown target '$target' (all|kafka|ferretdb|ferretdb-pg|base)"; exit 2 ;;
    esac
done
log "done in $(since "$T0") s"
