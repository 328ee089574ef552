#!/usr/bin/env bash
# Entrypoint of localhost/bureau-kafka (built by infra/images.sh).
#
# Reads the same environment as the official apache/kafka image (4.x), so a
# caller can start either image with the same settings:
#
#   * Every KAFKA_* variable except the JVM/logging ones becomes a line of
#     server.properties: the prefix is dropped, the name lower-cased, then
#     `_` -> `.`, `___` -> `-`, `__` -> `_`
#     (KAFKA_LOG_DIRS=/x -> log.dirs=/x; KAFKA_FOO___BAR__BAZ=1 -> foo-bar_baz=1).
#   * A mounted /mnt/shared/config/server.properties is used as the base and the
#     KAFKA_* lines are appended to it.
#   * With neither, the official single-node KRaft defaults apply
#     (PLAINTEXT on 9092, CONTROLLER on 9093, node 1, replication factor 1).
#   * KAFKA_LISTENERS defaults to KAFKA_ADVERTISED_LISTENERS with hosts replaced
#     by 0.0.0.0 (as the official `configure` does).
#   * In KRaft mode the storage is formatted with CLUSTER_ID unless already
#     formatted. Unset, it is the id of existing storage (a restarted container)
#     or a random one (the official image has a fixed default instead).
#   * BUREAU_SCRAM_SECRETS_DIR (not a server property): every <user>.password file in it
#     becomes a SCRAM-SHA-512 user at format time (`--add-scram`), e.g. the admin that
#     the authorizer's super.users names. Only bureau's image reads it.
#   * JVM: KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_GC_LOG_OPTS,
#     KAFKA_JMX_OPTS, KAFKA_OPTS, KAFKA_LOG4J_OPTS as in kafka-run-class.sh;
#     KAFKA_LOG4J_ROOT_LOGLEVEL and KAFKA_LOG4J_LOGGERS ("a.b=WARN,c=DEBUG").
#
# The broker is exec'd as PID 1: `podman/docker stop` (SIGTERM) shuts it down
# cleanly. Arguments of the form NAME=value are exported first, as the official
# `run` script does; any other arguments are exec'd instead of the broker.
set -euo pipefail

KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"
CONFIG_DIR="$KAFKA_HOME/config"
SERVER_PROPS="$CONFIG_DIR/server.properties"
LOG4J_PROPS="$CONFIG_DIR/log4j2-runtime.properties"
MOUNTED_PROPS=/mnt/shared/config/server.properties
CLASSPATH_LIBS="$KAFKA_HOME/libs/*"

say() { printf '===> %s\n' "$*"; }

# NAME=value arguments override the environment; anything else is a command.
if (($#)); then
    if [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
        for arg in "$@"; do
            [[ $arg =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "not NAME=value: $arg" >&2; exit 2; }
            export "${arg?}"
        done
    else
        exec "$@"
    fi
fi

# Not server properties (the official image's exclusion list, plus the heap).
is_excluded() {
    case $1 in
        KAFKA_VERSION | KAFKA_HEAP_OPT | KAFKA_HEAP_OPTS | KAFKA_LOG4J_OPTS | KAFKA_OPTS \
            | KAFKA_JMX_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS \
            | KAFKA_LOG4J_ROOT_LOGLEVEL | KAFKA_LOG4J_LOGGERS | KAFKA_TOOLS_LOG4J_LOGLEVEL \
            | KAFKA_JMX_HOSTNAME | KAFKA_JMX_PORT | KAFKA_HOME | KAFKA_DEBUG \
            | KAFKA_CLASSPATH)
            return 0 ;;
    esac
    return 1
}

# KAFKA_FOO_BAR___BAZ__QUX -> foo.bar-baz_qux
env_to_property() {
    local key="${1#KAFKA_}"
    key="${key,,}"
    key="${key//_/.}"
    key="${key//.../-}"
    key="${key//../_}"
    printf '%s' "$key"
}

# --- derived settings (official `configure`) ------------------------------------
if [[ ${KAFKA_PROCESS_ROLES:-} == controller ]]; then
    if [[ -n ${KAFKA_ADVERTISED_LISTENERS:-} ]]; then
        echo "KAFKA_ADVERTISED_LISTENERS is not supported on a KRaft controller." >&2
        exit 1
    fi
    unset KAFKA_ADVERTISED_LISTENERS
elif [[ -z ${KAFKA_LISTENERS:-} && -n ${KAFKA_ADVERTISED_LISTENERS:-} ]]; then
    # shellcheck disable=SC2001 # a regex, as in the official script
    KAFKA_LISTENERS="$(sed -e 's|://[^:]*:|://0.0.0.0:|g' <<<"$KAFKA_ADVERTISED_LISTENERS")"
    export KAFKA_LISTENERS
fi

# --- server.properties --------------------------------------------------------------
env_props=()
while IFS= read -r name; do
    [[ $name == KAFKA_* ]] || continue
    is_excluded "$name" && continue
    env_props+=("$(env_to_property "$name")=${!name}")
done < <(compgen -e | LC_ALL=C sort)

mkdir -p "$CONFIG_DIR"
if [[ -f $MOUNTED_PROPS ]]; then
    say "Using $MOUNTED_PROPS; KAFKA_* settings are appended"
    cp "$MOUNTED_PROPS" "$SERVER_PROPS"
    printf '\n' >>"$SERVER_PROPS"
    ((${#env_props[@]})) && printf '%s\n' "${env_props[@]}" >>"$SERVER_PROPS"
elif ((${#env_props[@]})); then
    say "Using KAFKA_* settings from the environment"
    printf '%s\n' "${env_props[@]}" >"$SERVER_PROPS"
else
    say "No KAFKA_* settings: single-node KRaft defaults"
    cat >"$SERVER_PROPS" <<'EOF'
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.retention.check.interval.ms=300000
EOF
fi

prop() { # last value of a key in server.properties
    sed -n "s/^[[:space:]]*$1[[:space:]]*[=:][[:space:]]*//p" "$SERVER_PROPS" | tail -n 1
}

# --- logging (log4j2) -----------------------------------------------------------------
if [[ -z ${KAFKA_LOG4J_OPTS:-} ]]; then
    root_level="${KAFKA_LOG4J_ROOT_LOGLEVEL:-INFO}"
    {
        if [[ -f $CONFIG_DIR/log4j2.properties ]]; then
            sed -e "s/^rootLogger\.level[[:space:]]*=.*/rootLogger.level = $root_level/" \
                "$CONFIG_DIR/log4j2.properties"
        else
            cat <<EOF
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = $root_level
rootLogger.appenderRef.out.ref = STDOUT
EOF
        fi
        i=0
        IFS=',' read -r -a loggers <<<"${KAFKA_LOG4J_LOGGERS:-}"
        for entry in "${loggers[@]}"; do
            [[ $entry == *=* ]] || continue
            i=$((i + 1))
            printf 'logger.env%d.name = %s\nlogger.env%d.level = %s\n' \
                "$i" "${entry%%=*}" "$i" "${entry#*=}"
        done
    } >"$LOG4J_PROPS"
    KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$LOG4J_PROPS"
fi

# --- storage (KRaft) -------------------------------------------------------------------
if [[ -n $(prop process.roles) ]]; then
    if [[ -z ${CLUSTER_ID:-} ]]; then
        # A restarted container keeps its storage: reuse the id it was formatted with.
        dirs="$(prop metadata.log.dir),$(prop log.dirs),$(prop log.dir)"
        IFS=',' read -r -a log_dirs <<<"$dirs"
        for dir in "${log_dirs[@]}"; do
            [[ -n $dir && -f $dir/meta.properties ]] || continue
            CLUSTER_ID="$(sed -n 's/^cluster\.id=//p' "$dir/meta.properties" | tail -n 1)"
            [[ -z $CLUSTER_ID ]] || { say "Reusing cluster id $CLUSTER_ID of $dir"; break; }
        done
    fi
    if [[ -z ${CLUSTER_ID:-} ]]; then
        # 16 random bytes, url-safe base64 without padding (as kafka-storage random-uuid).
        CLUSTER_ID="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
        say "CLUSTER_ID not set; using random cluster id $CLUSTER_ID"
    elif [[ -z ${dirs:-} ]]; then
        say "Using provided cluster id $CLUSTER_ID"
    fi
    format_args=(format --cluster-id="$CLUSTER_ID" -c "$SERVER_PROPS" --ignore-formatted)
    # SCRAM users that must exist before the broker starts (the admin, bureau): one
    # <user>.password file each in a mounted secrets directory. The passwords reach only
    # this one-shot format process, inside the container; nothing prints them.
    if [[ -n ${BUREAU_SCRAM_SECRETS_DIR:-} ]]; then
        for secret in "$BUREAU_SCRAM_SECRETS_DIR"/*.password; do
            [[ -f $secret ]] || continue
            user="$(basename "$secret" .password)"
            format_args+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(tr -d '\n' <"$secret")]")
            say "SCRAM-SHA-512 user $user added at format"
        done
    fi
    # A dynamic quorum (no static voters) on a controller needs --standalone.
    if [[ -z $(prop controller.quorum.voters) && $(prop process.roles) == *controller* ]]; then
        format_args+=(--standalone)
    fi
    # shellcheck disable=SC2086 # *_OPTS are word lists, as in kafka-run-class.sh
    java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC $KAFKA_LOG4J_OPTS \
        -cp "$CLASSPATH_LIBS" kafka.tools.StorageTool "${format_args[@]}"
fi

# --- broker --------------------------------------------------------------------------------
: "${KAFKA_HEAP_OPTS:=-Xmx1G -Xms1G}"
: "${KAFKA_JVM_PERFORMANCE_OPTS:=-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
say "Launching Kafka ($(prop process.roles)) with $SERVER_PROPS"
# shellcheck disable=SC2086
exec java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${KAFKA_GC_LOG_OPTS:-} ${KAFKA_JMX_OPTS:-} \
    $KAFKA_LOG4J_OPTS -Dkafka.logs.dir=/tmp/kafka-logs ${KAFKA_OPTS:-} \
    -cp "$CLASSPATH_LIBS" kafka.Kafka "$SERVER_PROPS"
