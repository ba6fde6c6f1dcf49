#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft) for tests and local work, from its jars on Maven Central.
#   kafka.sh start   install Java and Maven if missing, resolve jars with Maven if missing, format
#                    storage if new, start (idempotent)
#   kafka.sh check   only install Java and Maven if missing and check Java's version (quiet if all is there)
#   kafka.sh stop | status | env
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# Below the kernel's ephemeral ports (32768-60999): a client reconnecting to a port in that range while
# the broker is away can be given that very port as its own (a TCP self-connect) and keep the broker out.
PORT=${KENTRA_KAFKA_PORT:-29092}
CONTROLLER_PORT=$((PORT + 1))
STATE=${KENTRA_SERVICES_DIR:-/tmp/kentra-services}/kafka-$PORT
POM=$HERE/kafka/pom.xml
LIBS=${KENTRA_KAFKA_LIBS:-$ROOT/.cache/kafka-libs/$(sha256sum "$POM" | cut -c1-12)}
MIN_JAVA=11  # Kafka 3.9 (the pom's) runs on Java 11, 17 and 21; 8 is deprecated and 4.0 needs 17
APT_GET=${KENTRA_APT_GET:-apt-get}  # the tests give a stand-in, to try the install path without installing

NAME=kafka
GIVE=KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS
# shellcheck source=java_service.sh
source "$HERE/java_service.sh"

tools() {  # Java to run the broker; Maven only while the jars are still to be resolved
  local missing=() major
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || [ -f "$LIBS/.complete" ] || missing+=(maven)
  if [ ${#missing[@]} -gt 0 ]; then install_debian "${missing[@]}"; fi
  major=$(java_major)
  if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$major" -lt "$MIN_JAVA" ]; then
    echo "kafka.sh: Apache Kafka needs Java $MIN_JAVA or newer; $(command -v java) is Java ${major:-of an unknown version}." \
      "Install Debian's default-jre-headless, or put a newer java first on PATH" >&2
    exit 1
  fi
}

resolve() {
  if [ ! -f "$LIBS/.complete" ]; then
    echo "kafka: resolving Apache Kafka's jars with Maven (first run only)" >&2
    mkdir -p "$LIBS"
    mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
    touch "$LIBS/.complete"
  fi
}

status() {
  [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null && port_open "$PORT"
}

start() {
  if status; then echo "kafka: already running on port $PORT"; return 0; fi
  tools
  resolve
  mkdir -p "$STATE/data"
  cat > "$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$STATE/data
num.partitions=4
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat > "$STATE/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$STATE/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local java_opts=(-Xms256m -Xmx768m -Dlog4j.configuration="file:$STATE/log4j.properties" -cp "$LIBS/*")
  if [ ! -f "$STATE/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$STATE/server.properties" >/dev/null
  fi
  nohup java "${java_opts[@]}" kafka.Kafka "$STATE/server.properties" >"$STATE/stdout.log" 2>&1 &
  echo $! > "$STATE/pid"
  for _ in $(seq 1 120); do
    if port_open "$PORT"; then echo "kafka: started on port $PORT"; return 0; fi
    if ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
      echo "kafka: the broker exited; last lines of its logs:" >&2
      tail -n 20 "$STATE/stdout.log" "$STATE/server.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "kafka: not listening on port $PORT after 60 s" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  check) tools ;;
  stop) stop ;;
  status) status ;;
  env) echo "export KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$PORT" ;;
  *) echo "usage: $0 start|check|stop|status|env" >&2; exit 2 ;;
esac
