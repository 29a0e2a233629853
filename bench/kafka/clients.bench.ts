/**
 * Raw kafkajs vs @platformatic/kafka on the same broker: produce and consume 1 KiB messages,
 * same batch size (500 per produce request, acks=all, idempotent), same fetch settings.
 * Prints a markdown table with msgs/s and the ratio platformatic/kafkajs. Two interleaved rounds.
 *
 *   npx tsx bench/kafka/clients.bench.ts            (KAFKA_BROKERS defaults to 127.0.0.1:9092)
 *   MESSAGES=50000 npx tsx bench/kafka/clients.bench.ts
 */
import { Consumer as PConsumer, Producer as PProducer } from '@platformatic/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const N = Number(process.env.MESSAGES ?? 50_000);
const BATCH = 500;
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const value = Buffer.alloc(1024, 'x');
const run = `${Date.now().toString(36)}`;

const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
}

async function kafkajsProduce(topic: string): Promise<number> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const messages = Array.from({ length: BATCH }, (_, i) => ({ key: `k${i}`, value }));
  const t0 = performance.now();
  for (let sent = 0; sent < N; sent += BATCH) await producer.send({ topic, acks: -1, messages });
  const ms = performance.now() - t0;
  await producer.disconnect();
  return (N / ms) * 1000;
}

async function platformaticProduce(topic: string): Promise<number> {
  const producer = new PProducer({
    clientId: 'bench-p',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
  });
  const messages = Array.from({ length: BATCH }, (_, i) => ({ topic, key: Buffer.from(`k${i}`), value }));
  // Connect and load metadata outside the timing, as kafkajs' connect() does.
  await producer.metadata({ topics: [topic] });
  const t0 = performance.now();
  for (let sent = 0; sent < N; sent += BATCH) await producer.send({ messages });
  const ms = performance.now() - t0;
  await producer.close();
  return (N / ms) * 1000;
}

async function kafkajsConsume(topic: string): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-kjs-${run}-${Math.random()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let t0 = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      // Neither client commits while it is timed: the same work on both sides.
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (t0 === 0) t0 = performance.now();
        count += batch.messages.length;
        if (count >= N) resolve();
      },
    });
  });
  const ms = performance.now() - t0;
  await consumer.disconnect();
  return (N / ms) * 1000;
}

async function platformaticConsume(topic: string): Promise<number> {
  const consumer = new PConsumer({
    groupId: `bench-pl-${run}-${Math.random()}`,
    clientId: 'bench-c',
    bootstrapBrokers: brokers,
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  let count = 0;
  let t0 = 0;
  await new Promise<void>((resolve) => {
    stream.on('data', () => {
      if (t0 === 0) t0 = performance.now();
      count += 1;
      if (count === N) resolve();
    });
  });
  const ms = performance.now() - t0;
  await stream.close();
  await consumer.close(true);
  return (N / ms) * 1000;
}

const results: Record<string, { kafkajs: number[]; platformatic: number[] }> = {
  produce: { kafkajs: [], platformatic: [] },
  consume: { kafkajs: [], platformatic: [] },
};
const topics: string[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const a = `bench-kjs-${run}-${round}`;
  const b = `bench-pl-${run}-${round}`;
  await createTopic(a);
  await createTopic(b);
  topics.push(a, b);
  // Interleave the order so that neither client always runs on a warmer broker.
  if (round % 2 === 0) {
    results.produce!.kafkajs.push(await kafkajsProduce(a));
    results.produce!.platformatic.push(await platformaticProduce(b));
    results.consume!.kafkajs.push(await kafkajsConsume(a));
    results.consume!.platformatic.push(await platformaticConsume(a));
  } else {
    results.produce!.platformatic.push(await platformaticProduce(b));
    results.produce!.kafkajs.push(await kafkajsProduce(a));
    results.consume!.platformatic.push(await platformaticConsume(b));
    results.consume!.kafkajs.push(await kafkajsConsume(b));
  }
}
await deleteTopics(topics);

const fmt = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ');
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
console.log(
  `\n${N.toLocaleString('en-US')} messages of 1 KiB, batches of ${BATCH}, acks=all, idempotent, 1 partition, ${ROUNDS} rounds\n`,
);
console.log(
  '| operation | kafkajs msgs/s (per round) | @platformatic/kafka msgs/s (per round) | ratio platformatic / kafkajs |',
);
console.log('| --- | ---: | ---: | ---: |');
for (const [op, r] of Object.entries(results)) {
  console.log(
    `| ${op} | ${fmt(r.kafkajs)} | ${fmt(r.platformatic)} | ${(mean(r.platformatic) / mean(r.kafkajs)).toFixed(2)}x |`,
  );
}
