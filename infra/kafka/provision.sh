#!/usr/bin/env bash
# Gather the jars of a single-node Apache Kafka broker into the bureau cache.
# Usage: infra/kafka/provision.sh   (env: KAFKA_VERSION, BUREAU_CACHE_DIR, MAVEN_OPTS)
# Prints the Kafka home (holding libs/ and log4j2.properties) as its last stdout line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"
default_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom" | head -n1)"
version="${KAFKA_VERSION:-$default_version}"
cache="${BUREAU_CACHE_DIR:-$HOME/.cache/bureau}"
home="$cache/kafka-$version"

if [[ -d "$home/libs" ]]; then
  echo "$home"
  exit 0
fi

for tool in java mvn; do
  command -v "$tool" >/dev/null || { echo "provision.sh: '$tool' is required" >&2; exit 1; }
done

mkdir -p "$cache"
# Build next to the final place and rename, so an interrupted run leaves no half cache.
tmp="$(mktemp -d "$cache/.kafka-$version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

echo "provision.sh: fetching Kafka $version jars" >&2
mvn -q -B -f "$pom" dependency:copy-dependencies \
  -Dkafka.version="$version" -DoutputDirectory="$tmp/libs" >&2

cat >"$tmp/log4j2.properties" <<'PROPS'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
# Config dumps and partition state changes bury the lines worth reading.
logger.config.name = org.apache.kafka.common.config
logger.config.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
PROPS

# A concurrent run may have won the race; its result is as good as ours.
mv -T "$tmp" "$home" 2>/dev/null || [[ -d "$home/libs" ]]
echo "$home"
