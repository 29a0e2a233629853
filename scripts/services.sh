#!/usr/bin/env bash
# Test services for meshgate on a machine without Docker: a real Apache Kafka broker (KRaft,
# fetched from Maven Central), the Google Pub/Sub emulator, RabbitMQ and NATS with JetStream.
#
#   scripts/services.sh up [kafka|pubsub|rabbitmq|nats ...]   ensure they run (idempotent)
#   scripts/services.sh down                                   stop what `up` started, by pid
#   scripts/services.sh status                                 what runs, where
#   scripts/services.sh env                                    export lines for your shell
#
# A service whose endpoint variable is already set (KAFKA_BROKERS, PUBSUB_EMULATOR_HOST,
# RABBITMQ_URL, NATS_URL) is only checked, never started: point the tests at your own brokers.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/.data/services"
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")
# The Kafka jars live outside the checkout, so fresh clones on this machine reuse them.
CACHE_DIR="${MESHGATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meshgate}"
KAFKA_HOME="$CACHE_DIR/kafka/$KAFKA_VERSION"
KAFKA_DATA="$ROOT/.data/kafka"
PUBSUB_BIN=/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
READY="node $ROOT/scripts/services/ready.mjs"

: "${PUBSUB_PROJECT_ID:=meshgate-test}"
export PUBSUB_PROJECT_ID

mkdir -p "$STATE"
# The readiness probes speak each broker's protocol with the repo's own clients.
[ -d "$ROOT/node_modules/amqplib" ] || {
  printf '[services] error: %s\n' "dependencies are not installed ($ROOT/node_modules is missing): run npm ci first" >&2
  exit 1
}
log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
  log "$what ready"
}

need_node_modules() {
  [ -d "$ROOT/node_modules/kafkajs" ] || die "node_modules missing: run 'npm ci' first (the readiness checks use the project's clients)"
}

# --- Kafka --------------------------------------------------------------------------------
kafka_fetch() {
  if [ -f "$KAFKA_HOME/libs/.complete" ]; then return; fi
  command -v mvn >/dev/null || die "Kafka $KAFKA_VERSION is not cached and Maven (mvn) is missing: install maven, or set KAFKA_BROKERS to a running broker"
  command -v java >/dev/null || die "java is missing: Kafka needs a JRE 17+, or set KAFKA_BROKERS to a running broker"
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_HOME (first run only)"
  rm -rf "$KAFKA_HOME/libs"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_HOME/libs" -DincludeScope=runtime >"$STATE/kafka-fetch.log" 2>&1 \
    || die "mvn could not fetch Kafka $KAFKA_VERSION; see $STATE/kafka-fetch.log"
  touch "$KAFKA_HOME/libs/.complete"
}

kafka_config() {
  mkdir -p "$KAFKA_DATA"
  cat >"$KAFKA_DATA/server.properties" <<EOF
# Single combined broker+controller in KRaft mode, for tests. Written by scripts/services.sh.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://127.0.0.1:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA/logs
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
log.segment.bytes=67108864
EOF
  cat >"$KAFKA_DATA/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $KAFKA_DATA/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
EOF
}

kafka_java() { # kafka_java <main class> <args...>
  ${KAFKA_EXEC:-} java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DATA/log4j2.properties" -cp "$KAFKA_HOME/libs/*" "$@"
}

kafka_up() {
  if [ -n "${KAFKA_BROKERS:-}" ]; then
    need_node_modules
    wait_for "Kafka at $KAFKA_BROKERS (yours)" 30 $READY kafka "$KAFKA_BROKERS" \
      || die "Kafka at KAFKA_BROKERS=$KAFKA_BROKERS does not answer (create/list topic failed)"
    return
  fi
  export KAFKA_BROKERS=127.0.0.1:9092
  if ! pid_alive "$STATE/kafka.pid"; then
    if port_open 127.0.0.1 9092; then
      log "port 9092 is taken by a process this script did not start; using it as Kafka"
    else
      kafka_fetch
      kafka_config
      if [ ! -f "$KAFKA_DATA/logs/meta.properties" ]; then
        local cluster_id
        cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$STATE/kafka-format.log")
        kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DATA/server.properties" \
          >"$STATE/kafka-format.log" 2>&1 || die "formatting Kafka storage failed; see $STATE/kafka-format.log"
        log "formatted KRaft storage (cluster $cluster_id)"
      fi
      log "starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:9092, log $KAFKA_DATA/kafka.log"
      # setsid: the broker outlives this script and the test run that started it.
      (KAFKA_EXEC="exec setsid" kafka_java kafka.Kafka "$KAFKA_DATA/server.properties") \
        >"$KAFKA_DATA/kafka.out" 2>&1 </dev/null &
      echo $! >"$STATE/kafka.pid"
    fi
  fi
  need_node_modules
  wait_for "Kafka $KAFKA_VERSION at $KAFKA_BROKERS" 120 $READY kafka "$KAFKA_BROKERS" || {
    tail -20 "$KAFKA_DATA/kafka.out" "$KAFKA_DATA/kafka.log" 2>/dev/null >&2 || true
    die "Kafka did not become ready on $KAFKA_BROKERS within 120 s (logs above)"
  }
}

# --- Pub/Sub emulator ---------------------------------------------------------------------
pubsub_up() {
  if [ -n "${PUBSUB_EMULATOR_HOST:-}" ] && [ "${PUBSUB_EMULATOR_HOST}" != "127.0.0.1:8085" ]; then
    wait_for "Pub/Sub emulator at $PUBSUB_EMULATOR_HOST (yours)" 30 $READY pubsub "$PUBSUB_EMULATOR_HOST" \
      || die "Pub/Sub emulator at PUBSUB_EMULATOR_HOST=$PUBSUB_EMULATOR_HOST does not answer"
    return
  fi
  export PUBSUB_EMULATOR_HOST=127.0.0.1:8085
  if ! pid_alive "$STATE/pubsub.pid" && ! port_open 127.0.0.1 8085; then
    [ -x "$PUBSUB_BIN" ] || die "the Pub/Sub emulator is not installed ($PUBSUB_BIN missing): apt-get install google-cloud-cli-pubsub-emulator, or set PUBSUB_EMULATOR_HOST"
    log "starting the Pub/Sub emulator on 127.0.0.1:8085"
    setsid nohup "$PUBSUB_BIN" --host=127.0.0.1 --port=8085 >"$STATE/pubsub.log" 2>&1 </dev/null &
    echo $! >"$STATE/pubsub.pid"
  fi
  wait_for "Pub/Sub emulator at $PUBSUB_EMULATOR_HOST" 60 $READY pubsub "$PUBSUB_EMULATOR_HOST" || {
    tail -20 "$STATE/pubsub.log" >&2 2>/dev/null || true
    die "the Pub/Sub emulator did not become ready on $PUBSUB_EMULATOR_HOST within 60 s"
  }
}

# --- RabbitMQ -----------------------------------------------------------------------------
rabbitmq_up() {
  if [ -n "${RABBITMQ_URL:-}" ] && [ "$RABBITMQ_URL" != "amqp://guest:guest@127.0.0.1:5672" ]; then
    wait_for "RabbitMQ at $RABBITMQ_URL (yours)" 30 $READY rabbitmq "$RABBITMQ_URL" \
      || die "RabbitMQ at RABBITMQ_URL does not accept a connection"
    return
  fi
  export RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672
  if ! port_open 127.0.0.1 5672; then
    command -v rabbitmq-server >/dev/null \
      || die "RabbitMQ is not running on 127.0.0.1:5672 and rabbitmq-server is not installed: apt-get install rabbitmq-server, or set RABBITMQ_URL"
    log "starting RabbitMQ (rabbitmq-server -detached)"
    RABBITMQ_PID_FILE="$STATE/rabbitmq.pid" rabbitmq-server -detached >"$STATE/rabbitmq.log" 2>&1
  fi
  wait_for "RabbitMQ at 127.0.0.1:5672" 90 $READY rabbitmq "$RABBITMQ_URL" \
    || die "RabbitMQ did not accept an AMQP connection on 127.0.0.1:5672 within 90 s"
  # The Shovel plugin is the baseline of bench/rabbitmq/bridge.ts; enabling it is idempotent.
  if command -v rabbitmq-plugins >/dev/null; then
    rabbitmq-plugins enable --quiet rabbitmq_shovel >/dev/null 2>&1 || log "could not enable rabbitmq_shovel (only the RabbitMQ benchmark needs it)"
  fi
}

# --- NATS with JetStream ------------------------------------------------------------------
nats_up() {
  if [ -n "${NATS_URL:-}" ] && [ "$NATS_URL" != "nats://127.0.0.1:4222" ]; then
    wait_for "NATS at $NATS_URL (yours)" 30 $READY nats "$NATS_URL" \
      || die "NATS at NATS_URL does not answer with JetStream enabled"
    return
  fi
  export NATS_URL=nats://127.0.0.1:4222
  if ! port_open 127.0.0.1 4222; then
    command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] \
      || die "NATS is not running on 127.0.0.1:4222 and nats-server is not installed: apt-get install nats-server, or set NATS_URL"
    log "starting nats-server with JetStream on 127.0.0.1:4222"
    mkdir -p "$ROOT/.data/nats"
    start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$STATE/nats.pid" \
      --exec "$(command -v nats-server || echo /usr/sbin/nats-server)" -- \
      -a 127.0.0.1 -p 4222 -js -sd "$ROOT/.data/nats" -l "$STATE/nats.log"
  fi
  wait_for "NATS JetStream at 127.0.0.1:4222" 30 $READY nats "$NATS_URL" \
    || die "NATS on 127.0.0.1:4222 does not answer with JetStream enabled (start it with -js)"
}

# --- commands -----------------------------------------------------------------------------
print_env() {
  cat <<EOF
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
export RABBITMQ_URL=${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export PUBSUB_EMULATOR_HOST=${PUBSUB_EMULATOR_HOST:-127.0.0.1:8085}
export PUBSUB_PROJECT_ID=$PUBSUB_PROJECT_ID
EOF
}

stop_pid() { # stop_pid <name>
  local f="$STATE/$1.pid"
  if pid_alive "$f"; then
    local pid; pid=$(cat "$f")
    log "stopping $1 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

status_line() { # status_line <name> <host> <port> <pidfile>
  local state=down who=""
  port_open "$2" "$3" && state=up
  pid_alive "$STATE/$4.pid" && who=" (started by this script, pid $(cat "$STATE/$4.pid"))"
  printf '%-9s %-5s %s:%s%s\n' "$1" "$state" "$2" "$3" "$who"
}

cmd=${1:-status}
shift || true
case "$cmd" in
  up)
    services=("$@")
    [ ${#services[@]} -gt 0 ] || services=(rabbitmq nats pubsub kafka)
    for s in "${services[@]}"; do
      case "$s" in
        kafka) kafka_up ;; pubsub) pubsub_up ;; rabbitmq) rabbitmq_up ;; nats) nats_up ;;
        *) die "unknown service '$s' (kafka, pubsub, rabbitmq, nats)" ;;
      esac
    done
    print_env
    ;;
  down)
    for s in kafka pubsub nats rabbitmq; do stop_pid "$s"; done
    ;;
  status)
    status_line kafka 127.0.0.1 9092 kafka
    status_line pubsub 127.0.0.1 8085 pubsub
    status_line rabbitmq 127.0.0.1 5672 rabbitmq
    status_line nats 127.0.0.1 4222 nats
    ;;
  env) print_env ;;
  *) die "usage: scripts/services.sh up [kafka|pubsub|rabbitmq|nats ...] | down | status | env" ;;
esac
