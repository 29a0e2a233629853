/**
 * A Kafka -> Kafka bridge on one broker: meshgate (KafkaSource -> KafkaSink, binary mode, acks=all)
 * against Kafka's own MirrorMaker 2 (connect-mirror from the same Kafka distribution, source and
 * target cluster aliases both pointing at the same broker). Both copy a pre-filled topic of 1 KiB
 * binary-mode CloudEvent records; throughput is timed from the first record in the target topic
 * to the last, so that start-up (JVM, Connect, group join) is not counted.
 *
 *   npx tsx bench/kafka/bridge.bench.ts        (EVENTS=20000, KAFKA_LIBS=~/.cache/meshgate/kafka/4.3.0/libs)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createKafkaClient } from '../../packages/kafka/src/client.js';
import { KafkaSink } from '../../packages/kafka/src/sink.js';
import { KafkaSource } from '../../packages/kafka/src/source.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const EVENTS = Number(process.env.EVENTS ?? 20_000);
const PARTITIONS = 2;
const libs =
  process.env.KAFKA_LIBS ??
  join(
    process.env.MESHGATE_CACHE_DIR ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'meshgate'),
    'kafka/4.3.0/libs',
  );
const run = Date.now().toString(36);
const kafka = new Kafka({ clientId: 'bench-bridge', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const created: string[] = [];

async function createTopic(topic: string): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  created.push(topic);
}

async function fill(topic: string): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const value = Buffer.alloc(1024, 'x');
  for (let i = 0; i < EVENTS; i += 500) {
    const messages = Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) => ({
      value,
      headers: { ce_specversion: '1.0', ce_id: `m-${i + j}`, ce_source: '/bench', ce_type: 'bench.bridge' },
    }));
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

async function records(topic: string): Promise<number> {
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  } catch {
    return 0; // the target topic does not exist yet (MirrorMaker creates it)
  }
}

/** Polls the target topic; returns events/s from its first record to its EVENTS-th. */
async function timeCopy(target: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let first = await records(target);
  while (first === 0) {
    if (Date.now() > deadline) throw new Error(`nothing arrived in ${target}`);
    await new Promise((r) => setTimeout(r, 10));
    first = await records(target);
  }
  const t0 = performance.now();
  while ((await records(target)) < EVENTS) {
    if (Date.now() > deadline) throw new Error(`only ${await records(target)} records reached ${target}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return ((EVENTS - first) / (performance.now() - t0)) * 1000;
}

async function meshgateBridge(): Promise<number> {
  const from = `bridge-src-${run}-mg`;
  const to = `bridge-dst-${run}-mg`;
  await createTopic(from);
  await createTopic(to);
  await fill(from);
  const client = createKafkaClient({ brokers, clientId: 'bench-bridge' });
  const sink = new KafkaSink({ name: 'bridge', client, topic: to });
  await sink.connect();
  const source = new KafkaSource({
    name: 'bridge',
    client,
    topics: [from],
    groupId: `bridge-${run}`,
    initialOffset: 'earliest',
    ordered: false,
    maxInFlight: 500,
  });
  await source.start((d) => {
    sink.send(d.event).then(
      () => d.ack(),
      (err: Error) => d.nack(err, 100),
    );
  });
  try {
    return await timeCopy(to, 120_000);
  } finally {
    await source.stop();
    await sink.close();
  }
}

async function mirrorMaker(): Promise<number> {
  const from = `bridge-src-${run}-mm2`;
  await createTopic(from);
  await fill(from);
  const dir = mkdtempSync(join(tmpdir(), 'mm2-'));
  const props = join(dir, 'mm2.properties');
  writeFileSync(
    props,
    [
      'clusters = A, B',
      `A.bootstrap.servers = ${brokers.join(',')}`,
      `B.bootstrap.servers = ${brokers.join(',')}`,
      'A->B.enabled = true',
      `A->B.topics = ${from}`,
      'B->A.enabled = false',
      'replication.factor = 1',
      'checkpoints.topic.replication.factor = 1',
      'heartbeats.topic.replication.factor = 1',
      'offset-syncs.topic.replication.factor = 1',
      'offset.storage.replication.factor = 1',
      'status.storage.replication.factor = 1',
      'config.storage.replication.factor = 1',
      'sync.topic.acls.enabled = false',
      'sync.topic.configs.enabled = false',
      'emit.checkpoints.enabled = false',
      'refresh.topics.interval.seconds = 2',
      // The same durability as the meshgate bridge: acks from all in-sync replicas.
      'B.producer.acks = all',
      'tasks.max = 2',
      '',
    ].join('\n'),
  );
  const log = openSync(join(dir, 'mm2.log'), 'w');
  const child = spawn(
    'java',
    ['-Xmx512m', '-cp', `${libs}/*`, 'org.apache.kafka.connect.mirror.MirrorMaker', props],
    {
      stdio: ['ignore', log, log],
    },
  );
  try {
    // DefaultReplicationPolicy names the copy `<source alias>.<topic>`.
    return await timeCopy(`A.${from}`, 180_000);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    created.push(`A.${from}`);
    console.error(`(MirrorMaker 2 log: ${join(dir, 'mm2.log')})`);
  }
}

const rates = { meshgate: [] as number[], mm2: [] as number[] };
try {
  rates.meshgate.push(await meshgateBridge());
  rates.mm2.push(await mirrorMaker());
} finally {
  await admin.deleteTopics({ topics: created }).catch(() => {});
  await admin.disconnect();
}
const f = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(
  `\nBridge on one broker, ${f(EVENTS)} records of 1 KiB, ${PARTITIONS} partitions, acks=all on both\n`,
);
console.log('| bridge | records/s | ratio to MirrorMaker 2 |');
console.log('| --- | ---: | ---: |');
console.log(`| MirrorMaker 2 (Kafka 4.3.0 connect-mirror) | ${rates.mm2.map(f).join(' / ')} | 1.00x |`);
console.log(
  `| meshgate KafkaSource -> KafkaSink | ${rates.meshgate.map(f).join(' / ')} | ${(rates.meshgate[0]! / rates.mm2[0]!).toFixed(2)}x |`,
);
