#!/usr/bin/env node
// Readiness probes for scripts/services.sh, using the same client libraries as meshgate.
// A service is ready only when it does real work: Kafka creates and lists a topic, the Pub/Sub
// emulator creates a topic, RabbitMQ opens a confirm channel, NATS answers a JetStream request.
// Exit 0 when ready, 1 (with the reason on stderr) when not.
const [, , service, endpoint] = process.argv;

async function kafka(brokers) {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'meshgate-ready',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: 'meshgate.ready', numPartitions: 1 }],
      waitForLeaders: true,
    });
    const topics = await admin.listTopics();
    if (!topics.includes('meshgate.ready')) throw new Error('created topic meshgate.ready is not listed');
  } finally {
    await admin.disconnect();
  }
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

const probes = { kafka, pubsub, rabbitmq, nats };
const probe = probes[service];
if (!probe || !endpoint) {
  console.error('usage: ready.mjs kafka|pubsub|rabbitmq|nats <endpoint>');
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
