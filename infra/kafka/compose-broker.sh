#!/usr/bin/env bash
# docker-compose's broker (the official apache/kafka image): the broker's own SASL logins
# from the mounted secrets, then infra/kafka/container-entrypoint.sh, which writes
# server.properties from KAFKA_* and adds every <user>.password of BUREAU_SCRAM_SECRETS_DIR
# as a SCRAM-SHA-512 user when it formats the storage. Passwords never reach the compose
# file, the environment of other services, or the log.
set -euo pipefail
secrets="${BUREAU_SCRAM_SECRETS_DIR:?mount the secrets directory and name it}"
admin="$(tr -d '\n' <"$secrets/admin.password")"
scram="org.apache.kafka.common.security.scram.ScramLoginModule required"
scram+=" username=\"admin\" password=\"$admin\";"
# The controller listener cannot use SCRAM (its credentials live in the metadata it
# serves): SASL/PLAIN with the admin alone, as the embedded broker does.
plain="org.apache.kafka.common.security.plain.PlainLoginModule required"
plain+=" username=\"admin\" password=\"$admin\" user_admin=\"$admin\";"
export KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG="$scram"
export KAFKA_LISTENER_NAME_EXTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG="$scram"
export KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG="$plain"
exec bash /opt/bureau/container-entrypoint.sh
