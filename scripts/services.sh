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
#
# For the credential tests (test/connectors/credentials.e2e.test.ts) the script also gives the local
# brokers authenticated endpoints, with test credentials made once and kept in the machine's cache,
# $CACHE_DIR/credentials.env (mode 600; shared by every checkout on the machine, as the services are):
#   Kafka     a SASL_PLAINTEXT listener on 127.0.0.1:9094 (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN)
#             for the user KAFKA_SASL_USER, and an SSL listener on 127.0.0.1:9095 whose certificate
#             a test CA signed (KAFKA_TLS_CA_FILE); the PLAINTEXT listener on 9092 is unchanged
#   RabbitMQ  a user RABBITMQ_LIMITED_USER allowed only resources named meshgate-limited.*
#   NATS      nats-auth on 127.0.0.1:4223 (user/password and an NKey user, JetStream) and
#             nats-token on 127.0.0.1:4224 (a token), next to the open server on 4222
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
KAFKA_SASL_PORT=9094
KAFKA_TLS_PORT=9095
KAFKA_TLS_DIR="$CACHE_DIR/kafka-tls"
NATS_AUTH_PORT=4223
NATS_TOKEN_PORT=4224
NATS_BIN=$(command -v nats-server || echo /usr/sbin/nats-server)

: "${PUBSUB_PROJECT_ID:=meshgate-test}"
export PUBSUB_PROJECT_ID

mkdir -p "$STATE"
log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

random_secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20; }

# Test credentials for the authenticated endpoints: random, made on the first run, then reused
# (every broker below is brought in line with this file, so deleting it rotates them all).
credentials() {
  local file="$CACHE_DIR/credentials.env"
  mkdir -p "$CACHE_DIR"
  if [ ! -f "$file" ]; then
    (umask 077; cat >"$file" <<EOF
KAFKA_SASL_USER=meshgate
KAFKA_SASL_PASSWORD=mgk-$(random_secret)
RABBITMQ_LIMITED_USER=meshgate-limited
RABBITMQ_LIMITED_PASSWORD=mgr-$(random_secret)
NATS_AUTH_USER=meshgate
NATS_AUTH_PASSWORD=mgn-$(random_secret)
NATS_AUTH_TOKEN=mgt-$(random_secret)
EOF
    )
  fi
  # shellcheck disable=SC1090
  . "$file"
  export KAFKA_SASL_USER KAFKA_SASL_PASSWORD RABBITMQ_LIMITED_USER RABBITMQ_LIMITED_PASSWORD \
    NATS_AUTH_USER NATS_AUTH_PASSWORD NATS_AUTH_TOKEN
  kafka_tls_files
  # The NKey user's seed lives in a file of its own, as a user would keep it.
  export NATS_AUTH_NKEY_SEED_FILE="$CACHE_DIR/nats-auth-user.nk"
  if [ ! -s "$NATS_AUTH_NKEY_SEED_FILE" ]; then
    (umask 077; cd "$ROOT" && node -e "const {nkeys}=require('nats'); process.stdout.write(new TextDecoder().decode(nkeys.createUser().getSeed()))" \
      >"$NATS_AUTH_NKEY_SEED_FILE") || die "could not create an NKey seed (node_modules/nats)"
  fi
}

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

# A test CA and the SSL listener's key and certificate (PEM), made once in the machine's cache.
kafka_tls_files() {
  export KAFKA_TLS_CA_FILE="$KAFKA_TLS_DIR/ca.pem"
  [ -s "$KAFKA_TLS_DIR/server.pem" ] && [ -s "$KAFKA_TLS_CA_FILE" ] && return
  command -v openssl >/dev/null || die "openssl is needed for Kafka's TLS test listener: apt-get install openssl"
  mkdir -p "$KAFKA_TLS_DIR"
  (
    umask 077
    cd "$KAFKA_TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=meshgate test CA" \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.crt 2>/dev/null
    # Kafka's PEM keystore: an unencrypted PKCS#8 key, then the certificate.
    openssl pkcs8 -topk8 -nocrypt -in server.key -out server.pk8
    cat server.pk8 server.crt >server.pem
    rm -f server.csr server.ext server.key ca.srl
  ) || die "could not make the Kafka TLS test certificates in $KAFKA_TLS_DIR"
}

# The broker's server.properties, on stdout.
kafka_properties() {
  cat <<EOF
# Single combined broker+controller in KRaft mode, for tests. Written by scripts/services.sh.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT,SSL://127.0.0.1:$KAFKA_TLS_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT,SSL://127.0.0.1:$KAFKA_TLS_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
# The TLS tests' listener: a PEM key and certificate (127.0.0.1, localhost) signed by a test CA.
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$KAFKA_TLS_DIR/server.pem
listener.name.ssl.ssl.client.auth=none
# The credential tests' listener: SCRAM users live in the cluster metadata (formatted with
# --add-scram, or added by kafka_sasl_user); the PLAIN user is the one below.
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
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
}

# True when the running broker was started with other properties than kafka_properties prints
# (a data dir from before the SASL listener, or rotated credentials).
kafka_config_stale() {
  [ "$(kafka_properties)" != "$(cat "$KAFKA_DATA/server.properties" 2>/dev/null)" ]
}

kafka_config() {
  mkdir -p "$KAFKA_DATA"
  # It holds the PLAIN user's password.
  (umask 077; kafka_properties >"$KAFKA_DATA/server.properties")
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
  credentials
  if [ -n "${KAFKA_BROKERS:-}" ]; then
    wait_for "Kafka at $KAFKA_BROKERS (yours)" 30 $READY kafka "$KAFKA_BROKERS" \
      || die "Kafka at KAFKA_BROKERS=$KAFKA_BROKERS does not answer (create/list topic failed)"
    if [ -n "${KAFKA_SASL_BROKERS:-}" ]; then
      wait_for "Kafka SASL at $KAFKA_SASL_BROKERS (yours)" 30 $READY kafka-sasl "$KAFKA_SASL_BROKERS" \
        || die "Kafka at KAFKA_SASL_BROKERS=$KAFKA_SASL_BROKERS does not accept KAFKA_SASL_USER/KAFKA_SASL_PASSWORD with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN"
    else
      log "KAFKA_SASL_BROKERS is not set: the Kafka credential tests will fail (set it, with KAFKA_SASL_USER and KAFKA_SASL_PASSWORD)"
    fi
    return
  fi
  export KAFKA_BROKERS=127.0.0.1:9092
  local ours=yes
  if pid_alive "$STATE/kafka.pid" && kafka_config_stale; then
    # A broker started before the SASL listener existed (or with other credentials): restart it
    # once with the new properties. The data dir and PLAINTEXT on 9092 stay as they were.
    log "Kafka's configuration changed (listeners or credentials): restarting it once"
    stop_pid kafka
    local deadline=$((SECONDS + 30))
    while port_open 127.0.0.1 9092 && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  fi
  if ! pid_alive "$STATE/kafka.pid"; then
    if port_open 127.0.0.1 9092; then
      log "port 9092 is taken by a process this script did not start; using it as Kafka"
      ours=no
    else
      kafka_fetch
      kafka_config
      if [ ! -f "$KAFKA_DATA/logs/meta.properties" ]; then
        local cluster_id
        cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$STATE/kafka-format.log")
        kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DATA/server.properties" \
          --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
          --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
          >"$STATE/kafka-format.log" 2>&1 || die "formatting Kafka storage failed; see $STATE/kafka-format.log"
        log "formatted KRaft storage (cluster $cluster_id)"
      fi
      log "starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:9092 (SASL on $KAFKA_SASL_PORT, SSL on $KAFKA_TLS_PORT), log $KAFKA_DATA/kafka.log"
      # setsid: the broker outlives this script and the test run that started it.
      (KAFKA_EXEC="exec setsid" kafka_java kafka.Kafka "$KAFKA_DATA/server.properties") \
        >"$KAFKA_DATA/kafka.out" 2>&1 </dev/null &
      echo $! >"$STATE/kafka.pid"
    fi
  fi
  wait_for "Kafka $KAFKA_VERSION at $KAFKA_BROKERS" 120 $READY kafka "$KAFKA_BROKERS" || {
    tail -20 "$KAFKA_DATA/kafka.out" "$KAFKA_DATA/kafka.log" 2>/dev/null >&2 || true
    die "Kafka did not become ready on $KAFKA_BROKERS within 120 s (logs above)"
  }
  kafka_sasl_up "$ours"
  kafka_tls_up "$ours"
}

# The SASL_PLAINTEXT listener with the test user. SCRAM credentials are cluster metadata: a
# storage formatted before this listener existed gets them through the Admin API (once; the
# probe sees them afterwards).
kafka_sasl_up() { # kafka_sasl_up <yes|no: the broker is ours>
  export KAFKA_SASL_BROKERS=127.0.0.1:$KAFKA_SASL_PORT
  if $READY kafka-sasl "$KAFKA_SASL_BROKERS" >/dev/null 2>&1; then
    log "Kafka SASL (SCRAM-SHA-256/512, PLAIN) at $KAFKA_SASL_BROKERS ready"
    return
  fi
  if [ "$1" != yes ]; then
    log "Kafka on 9092 was not started by this script and has no SASL listener with the test user on $KAFKA_SASL_PORT: the Kafka credential tests will fail"
    unset KAFKA_SASL_BROKERS
    return
  fi
  log "adding the SCRAM user $KAFKA_SASL_USER to Kafka"
  : >"$STATE/kafka-scram.log"
  # One mechanism per request: the broker refuses to alter a user twice in one.
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    kafka_java kafka.admin.ConfigCommand --bootstrap-server "$KAFKA_BROKERS" --alter \
      --add-config "$mechanism=[password=$KAFKA_SASL_PASSWORD]" \
      --entity-type users --entity-name "$KAFKA_SASL_USER" >>"$STATE/kafka-scram.log" 2>&1 \
      || die "adding the SCRAM user failed; see $STATE/kafka-scram.log"
  done
  wait_for "Kafka SASL (SCRAM-SHA-256/512, PLAIN) at $KAFKA_SASL_BROKERS" 30 $READY kafka-sasl "$KAFKA_SASL_BROKERS" || {
    $READY kafka-sasl "$KAFKA_SASL_BROKERS" || true
    die "Kafka's SASL listener on $KAFKA_SASL_BROKERS does not accept the test user (see above)"
  }
}

# The SSL listener, verified with the test CA.
kafka_tls_up() { # kafka_tls_up <yes|no: the broker is ours>
  export KAFKA_TLS_BROKERS=127.0.0.1:$KAFKA_TLS_PORT
  if wait_for "Kafka TLS at $KAFKA_TLS_BROKERS" 30 $READY kafka-tls "$KAFKA_TLS_BROKERS"; then return; fi
  if [ "$1" != yes ]; then
    log "Kafka on 9092 was not started by this script and has no TLS listener signed by the test CA on $KAFKA_TLS_PORT: the Kafka TLS test will fail"
    unset KAFKA_TLS_BROKERS
    return
  fi
  $READY kafka-tls "$KAFKA_TLS_BROKERS" || true
  die "Kafka's SSL listener on $KAFKA_TLS_BROKERS is not ready (see above and $KAFKA_DATA/kafka.log)"
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
  rabbitmq_limited_up
}

# A user allowed only resources named meshgate-limited.* (configure, write and read), for the
# credential tests. The probe declares one allowed and one forbidden queue as that user, so a
# second run costs no rabbitmqctl call.
RABBITMQ_LIMITED_PATTERN='^meshgate-limited\.'
rabbitmq_limited_up() {
  credentials
  if $READY rabbitmq-limited "$RABBITMQ_URL" >/dev/null 2>&1; then
    log "RabbitMQ user $RABBITMQ_LIMITED_USER (only meshgate-limited.*) ready"
    return
  fi
  command -v rabbitmqctl >/dev/null || {
    log "rabbitmqctl is missing: cannot create the RabbitMQ user $RABBITMQ_LIMITED_USER (the RabbitMQ credential test will fail)"
    return
  }
  log "setting up the RabbitMQ user $RABBITMQ_LIMITED_USER (permissions $RABBITMQ_LIMITED_PATTERN)"
  {
    rabbitmqctl add_user "$RABBITMQ_LIMITED_USER" "$RABBITMQ_LIMITED_PASSWORD" \
      || rabbitmqctl change_password "$RABBITMQ_LIMITED_USER" "$RABBITMQ_LIMITED_PASSWORD"
    rabbitmqctl set_permissions -p / "$RABBITMQ_LIMITED_USER" \
      "$RABBITMQ_LIMITED_PATTERN" "$RABBITMQ_LIMITED_PATTERN" "$RABBITMQ_LIMITED_PATTERN"
  } >"$STATE/rabbitmq-limited.log" 2>&1 || die "rabbitmqctl failed; see $STATE/rabbitmq-limited.log"
  wait_for "RabbitMQ user $RABBITMQ_LIMITED_USER (only meshgate-limited.*)" 20 $READY rabbitmq-limited "$RABBITMQ_URL" || {
    $READY rabbitmq-limited "$RABBITMQ_URL" || true
    die "the RabbitMQ user $RABBITMQ_LIMITED_USER does not have the expected permissions (see above)"
  }
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
  nats_auth_up
}

# Two more nats-server processes for the credential tests (nats-server refuses a token next to
# a users list): nats-auth with a user/password and an NKey user (JetStream on), nats-token
# with a token. Each is restarted when its generated config changes.
nats_auth_config() {
  local nkey
  nkey=$(cd "$ROOT" && node -e "const {nkeys}=require('nats'); const fs=require('fs'); process.stdout.write(nkeys.fromSeed(new TextEncoder().encode(fs.readFileSync(process.argv[1],'utf8').trim())).getPublicKey())" "$NATS_AUTH_NKEY_SEED_FILE") \
    || die "cannot read the NKey seed $NATS_AUTH_NKEY_SEED_FILE"
  cat <<EOF
# Written by scripts/services.sh: the credential tests' NATS with users.
listen: 127.0.0.1:$NATS_AUTH_PORT
jetstream { store_dir: "$ROOT/.data/nats-auth" }
authorization {
  users: [
    { user: "$NATS_AUTH_USER", password: "$NATS_AUTH_PASSWORD" }
    { nkey: "$nkey" }
  ]
}
EOF
}

nats_token_config() {
  cat <<EOF
# Written by scripts/services.sh: the credential tests' NATS with a token.
listen: 127.0.0.1:$NATS_TOKEN_PORT
authorization { token: "$NATS_AUTH_TOKEN" }
EOF
}

nats_server_up() { # nats_server_up <name> <port> <config text>
  local name=$1 port=$2 config=$3 file="$STATE/$1.conf"
  if pid_alive "$STATE/$name.pid" && [ "$config" != "$(cat "$file" 2>/dev/null)" ]; then
    log "$name's configuration changed: restarting it"
    stop_pid "$name"
  fi
  if ! pid_alive "$STATE/$name.pid"; then
    if port_open 127.0.0.1 "$port"; then
      # Another checkout's server on this machine (same cached credentials): the readiness check
      # below uses it if it accepts them, and names the problem if it does not.
      log "port $port is served by a process this checkout did not start: using it as $name if it accepts the test credentials"
      return
    fi
    (umask 077; printf '%s\n' "$config" >"$file")
    log "starting $name on 127.0.0.1:$port"
    start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$STATE/$name.pid" \
      --exec "$NATS_BIN" -- -c "$file" -l "$STATE/$name.log"
  fi
}

nats_auth_up() {
  if [ -n "${NATS_AUTH_URL:-}" ] && [ "$NATS_AUTH_URL" != "nats://127.0.0.1:$NATS_AUTH_PORT" ]; then
    credentials
    wait_for "NATS with users at $NATS_AUTH_URL (yours)" 30 $READY nats-auth "$NATS_AUTH_URL" \
      || die "NATS at NATS_AUTH_URL does not accept NATS_AUTH_USER/NATS_AUTH_PASSWORD and the NKey in NATS_AUTH_NKEY_SEED_FILE"
    return
  fi
  [ -x "$NATS_BIN" ] || {
    log "nats-server is not installed: no NATS with credentials (the NATS credential tests will fail)"
    return
  }
  credentials
  export NATS_AUTH_URL=nats://127.0.0.1:$NATS_AUTH_PORT NATS_TOKEN_URL=nats://127.0.0.1:$NATS_TOKEN_PORT
  mkdir -p "$ROOT/.data/nats-auth"
  nats_server_up nats-auth "$NATS_AUTH_PORT" "$(nats_auth_config)"
  nats_server_up nats-token "$NATS_TOKEN_PORT" "$(nats_token_config)"
  wait_for "NATS with users (password, NKey) at $NATS_AUTH_URL" 30 $READY nats-auth "$NATS_AUTH_URL" || {
    tail -5 "$STATE/nats-auth.log" >&2 2>/dev/null || true
    die "nats-auth on $NATS_AUTH_URL does not accept the test users"
  }
  wait_for "NATS with a token at $NATS_TOKEN_URL" 30 $READY nats-token "$NATS_TOKEN_URL" || {
    tail -5 "$STATE/nats-token.log" >&2 2>/dev/null || true
    die "nats-token on $NATS_TOKEN_URL does not accept the test token"
  }
}

# --- commands -----------------------------------------------------------------------------
print_env() {
  cat <<EOF
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
export RABBITMQ_URL=${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export PUBSUB_EMULATOR_HOST=${PUBSUB_EMULATOR_HOST:-127.0.0.1:8085}
export PUBSUB_PROJECT_ID=$PUBSUB_PROJECT_ID
export KAFKA_SASL_BROKERS=${KAFKA_SASL_BROKERS:-127.0.0.1:$KAFKA_SASL_PORT}
export KAFKA_SASL_USER=$KAFKA_SASL_USER
export KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD
export KAFKA_TLS_BROKERS=${KAFKA_TLS_BROKERS:-127.0.0.1:$KAFKA_TLS_PORT}
export KAFKA_TLS_CA_FILE=$KAFKA_TLS_CA_FILE
export RABBITMQ_LIMITED_USER=$RABBITMQ_LIMITED_USER
export RABBITMQ_LIMITED_PASSWORD=$RABBITMQ_LIMITED_PASSWORD
export NATS_AUTH_URL=${NATS_AUTH_URL:-nats://127.0.0.1:$NATS_AUTH_PORT}
export NATS_TOKEN_URL=${NATS_TOKEN_URL:-nats://127.0.0.1:$NATS_TOKEN_PORT}
export NATS_AUTH_USER=$NATS_AUTH_USER
export NATS_AUTH_PASSWORD=$NATS_AUTH_PASSWORD
export NATS_AUTH_TOKEN=$NATS_AUTH_TOKEN
export NATS_AUTH_NKEY_SEED_FILE=$NATS_AUTH_NKEY_SEED_FILE
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
  printf '%-10s %-5s %s:%s%s\n' "$1" "$state" "$2" "$3" "$who"
}

cmd=${1:-status}
shift || true
case "$cmd" in
  up)
    need_node_modules
    services=("$@")
    [ ${#services[@]} -gt 0 ] || services=(rabbitmq nats pubsub kafka)
    for s in "${services[@]}"; do
      case "$s" in
        kafka) kafka_up ;; pubsub) pubsub_up ;; rabbitmq) rabbitmq_up ;; nats) nats_up ;;
        *) die "unknown service '$s' (kafka, pubsub, rabbitmq, nats)" ;;
      esac
    done
    credentials
    print_env
    ;;
  down)
    for s in kafka pubsub nats nats-auth nats-token rabbitmq; do stop_pid "$s"; done
    ;;
  status)
    status_line kafka 127.0.0.1 9092 kafka
    status_line kafka-sasl 127.0.0.1 "$KAFKA_SASL_PORT" kafka
    status_line kafka-tls 127.0.0.1 "$KAFKA_TLS_PORT" kafka
    status_line pubsub 127.0.0.1 8085 pubsub
    status_line rabbitmq 127.0.0.1 5672 rabbitmq
    status_line nats 127.0.0.1 4222 nats
    status_line nats-auth 127.0.0.1 "$NATS_AUTH_PORT" nats-auth
    status_line nats-token 127.0.0.1 "$NATS_TOKEN_PORT" nats-token
    ;;
  env) credentials; print_env ;;
  *) die "usage: scripts/services.sh up [kafka|pubsub|rabbitmq|nats ...] | down | status | env" ;;
esac
