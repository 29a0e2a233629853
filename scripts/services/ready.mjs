#!/usr/bin/env node
// Readiness probes for scripts/services.sh, using the same client libraries as meshgate.
// A service is ready only when it does real work: Kafka creates and lists a topic, the Pub/Sub
// emulator creates a topic, RabbitMQ opens a confirm channel, NATS answers a JetStream request.
// The credential probes (kafka-sasl, rabbitmq-limited, nats-auth, nats-token) read the test
// credentials from the environment that services.sh exports.
// Exit 0 when ready, 1 (with the reason on stderr) when not.
const [, , service, endpoint] = process.argv;

/** Connects a kafkajs admin client with `extra` options (sasl, ssl), runs `work`, disconnects. */
async function withKafkaAdmin(brokers, extra, work) {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'meshgate-ready',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
    ...extra,
  }).admin();
  try {
    await admin.connect();
    await work(admin);
  } finally {
    await admin.disconnect();
  }
}

async function kafka(brokers) {
  await withKafkaAdmin(brokers, {}, async (admin) => {
    await admin.createTopics({
      topics: [{ topic: 'meshgate.ready', numPartitions: 1 }],
      waitForLeaders: true,
    });
    const topics = await admin.listTopics();
    if (!topics.includes('meshgate.ready')) throw new Error('created topic meshgate.ready is not listed');
  });
}

async function pubsub(host) {
  const project = process.env.PUBSUB_PROJECT_ID || 'meshgate-test';
  const res = await fetch(`http://${host}/v1/projects/${project}/topics/meshgate-ready`, {
    method: 'PUT',
    signal: AbortSignal.timeout(3000),
  });
  // 409: the topic exists from an earlier probe, which proves the same thing.
  if (!res.ok && res.status !== 409) throw new Error(`PUT topic answered ${res.status}`);
}

async function rabbitmq(url) {
  const amqp = await import('amqplib');
  const conn = await amqp.connect(url, { timeout: 3000 });
  try {
    await conn.createConfirmChannel();
  } finally {
    await conn.close();
  }
}

async function nats(url) {
  const { connect } = await import('nats');
  const nc = await connect({ servers: url, timeout: 3000, reconnect: false });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 3000 });
    await jsm.getAccountInfo();
  } finally {
    await nc.close();
  }
}

/** The SASL listener: the test user logs in with every mechanism and reads the metadata. */
async function kafkaSasl(brokers) {
  const username = need('KAFKA_SASL_USER');
  const password = need('KAFKA_SASL_PASSWORD');
  for (const mechanism of ['scram-sha-256', 'scram-sha-512', 'plain']) {
    try {
      await withKafkaAdmin(brokers, { sasl: { mechanism, username, password } }, (admin) =>
        admin.listTopics(),
      );
    } catch (err) {
      throw new Error(`${mechanism}: ${err?.message ?? err}`);
    }
  }
}

/** The SSL listener, with the test CA (KAFKA_TLS_CA_FILE) trusted. */
async function kafkaTls(brokers) {
  const { readFileSync } = await import('node:fs');
  const ssl = { ca: [readFileSync(need('KAFKA_TLS_CA_FILE'), 'utf8')] };
  await withKafkaAdmin(brokers, { ssl }, (admin) => admin.listTopics());
}

/** The limited user may declare meshgate-limited.* and nothing else. */
async function rabbitmqLimited(url) {
  const amqp = await import('amqplib');
  const u = new URL(url);
  u.username = encodeURIComponent(need('RABBITMQ_LIMITED_USER'));
  u.password = encodeURIComponent(need('RABBITMQ_LIMITED_PASSWORD'));
  const conn = await amqp.connect(u.toString(), { timeout: 3000 });
  conn.on('error', () => {});
  try {
    const allowed = await conn.createChannel();
    await allowed.assertQueue('meshgate-limited.ready', { durable: false, autoDelete: true });
    await allowed.close();
    const forbidden = await conn.createChannel();
    forbidden.on('error', () => {});
    const refused = await forbidden.assertQueue('meshgate-ready-forbidden', { durable: false }).then(
      () => false,
      (err) => /ACCESS_REFUSED/.test(String(err?.message)),
    );
    if (!refused)
      throw new Error('the user may declare meshgate-ready-forbidden: its permissions are too wide');
  } finally {
    await conn.close().catch(() => {});
  }
}

/** nats-auth: the user/password and the NKey user both connect; JetStream answers. */
async function natsAuth(url) {
  const { connect, nkeyAuthenticator } = await import('nats');
  const { readFileSync } = await import('node:fs');
  const seed = readFileSync(need('NATS_AUTH_NKEY_SEED_FILE'), 'utf8').trim();
  for (const auth of [
    { user: need('NATS_AUTH_USER'), pass: need('NATS_AUTH_PASSWORD') },
    { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) },
  ]) {
    const nc = await connect({ servers: url, timeout: 3000, reconnect: false, ...auth });
    try {
      const jsm = await nc.jetstreamManager({ timeout: 3000 });
      await jsm.getAccountInfo();
    } finally {
      await nc.close();
    }
  }
}

async function natsToken(url) {
  const { connect } = await import('nats');
  const nc = await connect({ servers: url, timeout: 3000, reconnect: false, token: need('NATS_AUTH_TOKEN') });
  await nc.flush();
  await nc.close();
}

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const probes = {
  kafka,
  'kafka-sasl': kafkaSasl,
  'kafka-tls': kafkaTls,
  pubsub,
  rabbitmq,
  'rabbitmq-limited': rabbitmqLimited,
  nats,
  'nats-auth': natsAuth,
  'nats-token': natsToken,
};
const probe = probes[service];
if (!probe || !endpoint) {
  console.error(`usage: ready.mjs ${Object.keys(probes).join('|')} <endpoint>`);
  process.exit(2);
}
const timer = setTimeout(() => {
  console.error(`${service} at ${endpoint}: no answer within 10 s`);
  process.exit(1);
}, 10_000);
try {
  await probe(endpoint);
  clearTimeout(timer);
  process.exit(0);
} catch (err) {
  console.error(`${service} at ${endpoint}: ${err?.message ?? err}`);
  process.exit(1);
}
