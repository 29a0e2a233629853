/**
 * Kafka topic -> KafkaSource -> HTTP sink (a node:http server in a child process), against a
 * baseline in the same script: a plain kafkajs consumer POSTing the same records with undici,
 * no meshgate. Same topic, same window (in-flight POSTs per partition), same HTTP client.
 *
 * - throughput: a pre-filled topic of 1 KiB binary-mode CloudEvents, drained to the sink: events/s;
 * - latency: records produced at a steady rate while the consumer runs: end-to-end p50/p99
 *   (produce call -> sink receipt, same machine clock).
 *
 *   npx tsx bench/kafka/source-to-http.bench.ts      (EVENTS=20000 RATE=500 ROUNDS=2 to change)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { Agent, request } from 'undici';
import { createKafkaClient } from '../../packages/kafka/src/client.js';
import { KafkaSource } from '../../packages/kafka/src/source.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const EVENTS = Number(process.env.EVENTS ?? 10_000);
const RATE = Number(process.env.RATE ?? 500);
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const PARTITIONS = 2;
const WINDOW = 64;
const run = Date.now().toString(36);
const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
const agent = new Agent({ connections: WINDOW * PARTITIONS, keepAliveTimeout: 60_000 });

function startSink(): Promise<{ child: ChildProcess; url: string }> {
  const file = fileURLToPath(new URL('./fixtures/http-sink.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
  });
}

async function stats(url: string): Promise<{ count: number; p50: number | null; p99: number | null }> {
  const res = await request(`${url}/stats`, { dispatcher: agent });
  return (await res.body.json()) as { count: number; p50: number | null; p99: number | null };
}

async function reset(url: string): Promise<void> {
  const res = await request(`${url}/reset`, { method: 'POST', dispatcher: agent });
  await res.body.dump();
}

const value = Buffer.alloc(1024, 'x');
function records(from: number, n: number, withSentTime: boolean) {
  return Array.from({ length: n }, (_, i) => ({
    value,
    headers: {
      ce_specversion: '1.0',
      ce_id: `b-${from + i}`,
      ce_source: '/bench',
      ce_type: 'bench.event',
      'content-type': 'application/octet-stream',
      ...(withSentTime ? { ce_benchsent: String(Date.now()) } : {}),
    },
  }));
}

async function fill(producer: Producer, topic: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    await producer.send({ topic, acks: -1, messages: records(i, Math.min(500, n - i), false) });
  }
}

/** POSTs one event in binary mode; resolves true on 2xx. */
async function post(url: string, headers: Record<string, string>, body: Buffer | null): Promise<boolean> {
  const res = await request(url, { method: 'POST', headers, body, dispatcher: agent });
  await res.body.dump();
  return res.statusCode >= 200 && res.statusCode < 300;
}

interface Runner {
  start(topic: string, url: string): Promise<void>;
  stop(): Promise<void>;
}

/** meshgate: KafkaSource (binding, contiguous commit tracking) handing deliveries to a POST. */
function meshgateRunner(): Runner {
  let source: KafkaSource | undefined;
  return {
    async start(topic, url) {
      source = new KafkaSource({
        name: 'bench',
        client: createKafkaClient({ brokers, clientId: 'bench-source' }),
        topics: [topic],
        groupId: `bench-mg-${topic}`,
        initialOffset: 'earliest',
        ordered: false,
        maxInFlight: WINDOW,
      });
      await source.start((d) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(d.event.attributes)) {
          if (k === 'datacontenttype') headers['content-type'] = String(v);
          else headers[`ce-${k}`] = String(v);
        }
        const body = d.event.data === undefined ? null : Buffer.from(d.event.data);
        post(url, headers, body).then(
          (ok) => (ok ? d.ack() : d.nack(new Error('non-2xx'), 100)),
          (err: Error) => d.nack(err, 100),
        );
      });
    },
    async stop() {
      await source?.stop();
    },
  };
}

/** Baseline: kafkajs eachBatch, up to WINDOW POSTs in flight per partition, headers copied as-is. */
function baselineRunner(): Runner {
  let consumer: Consumer | undefined;
  return {
    async start(topic, url) {
      consumer = kafka.consumer({ groupId: `bench-base-${topic}`, maxWaitTimeInMs: 500 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: PARTITIONS,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const inflight = new Set<Promise<void>>();
          for (const m of batch.messages) {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.headers ?? {})) {
              const s = String(v);
              headers[k.startsWith('ce_') ? `ce-${k.slice(3)}` : k] = s;
            }
            const p: Promise<void> = post(url, headers, m.value).then(
              () => {
                inflight.delete(p);
              },
              () => {
                inflight.delete(p);
              },
            );
            inflight.add(p);
            if (inflight.size >= WINDOW) await Promise.race(inflight);
          }
          await Promise.all(inflight);
          resolveOffset(batch.lastOffset());
          await heartbeat();
        },
      });
    },
    async stop() {
      await consumer?.disconnect();
    },
  };
}

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
}

async function throughput(runner: Runner, producer: Producer, url: string, name: string): Promise<number> {
  const topic = `bench-http-${name}-${run}-${Math.random().toString(36).slice(2, 6)}`;
  await createTopic(topic);
  await fill(producer, topic, EVENTS);
  await reset(url);
  await runner.start(topic, url);
  // Timed from the first event at the sink, so that the group join is not counted.
  let first = (await stats(url)).count;
  while (first === 0) {
    await new Promise((r) => setTimeout(r, 5));
    first = (await stats(url)).count;
  }
  const t0 = performance.now();
  while ((await stats(url)).count < EVENTS) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - t0;
  await runner.stop();
  topicsToDelete.push(topic);
  return ((EVENTS - first) / ms) * 1000;
}

async function latency(runner: Runner, producer: Producer, url: string, name: string) {
  const topic = `bench-lat-${name}-${run}-${Math.random().toString(36).slice(2, 6)}`;
  await createTopic(topic);
  await runner.start(topic, url);
  await new Promise((r) => setTimeout(r, 1000));
  await reset(url);
  const perTick = Math.max(1, Math.round(RATE / 50));
  const ticks = LATENCY_SECONDS * 50;
  let sent = 0;
  for (let t = 0; t < ticks; t++) {
    const started = Date.now();
    await producer.send({ topic, acks: -1, messages: records(sent, perTick, true) });
    sent += perTick;
    await new Promise((r) => setTimeout(r, Math.max(0, 20 - (Date.now() - started))));
  }
  while ((await stats(url)).count < sent) await new Promise((r) => setTimeout(r, 20));
  const s = await stats(url);
  await runner.stop();
  topicsToDelete.push(topic);
  return s;
}

const topicsToDelete: string[] = [];
const sink = await startSink();
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();
const tput = { meshgate: [] as number[], baseline: [] as number[] };
const lat = {
  meshgate: [] as Array<{ p50: number | null; p99: number | null }>,
  baseline: [] as Array<{ p50: number | null; p99: number | null }>,
};
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['baseline', 'meshgate'] as const) : (['meshgate', 'baseline'] as const);
    for (const name of order) {
      const runner = name === 'meshgate' ? meshgateRunner() : baselineRunner();
      tput[name].push(await throughput(runner, producer, sink.url, name));
    }
    for (const name of order) {
      const runner = name === 'meshgate' ? meshgateRunner() : baselineRunner();
      lat[name].push(await latency(runner, producer, sink.url, name));
    }
  }
} finally {
  await producer.disconnect();
  sink.child.kill();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topicsToDelete }).catch(() => {});
  await admin.disconnect();
  await agent.close();
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const f = (x: number) => Math.round(x).toLocaleString('en-US');
const p = (xs: Array<{ p50: number | null; p99: number | null }>, k: 'p50' | 'p99') =>
  xs.map((x) => x[k] ?? NaN);
console.log(
  `\nKafka (${PARTITIONS} partitions) -> HTTP sink process; ${f(EVENTS)} events of 1 KiB (binary mode), window ${WINDOW}/partition, ${ROUNDS} rounds; latency at ${RATE} ev/s for ${LATENCY_SECONDS} s\n`,
);
console.log(
  '| metric | baseline (kafkajs + undici) | meshgate KafkaSource + undici | ratio meshgate / baseline |',
);
console.log('| --- | ---: | ---: | ---: |');
console.log(
  `| events/s (per round) | ${tput.baseline.map(f).join(' / ')} | ${tput.meshgate.map(f).join(' / ')} | ${(mean(tput.meshgate) / mean(tput.baseline)).toFixed(2)}x |`,
);
for (const k of ['p50', 'p99'] as const) {
  const b = p(lat.baseline, k);
  const m = p(lat.meshgate, k);
  console.log(
    `| ${k} latency ms (per round) | ${b.join(' / ')} | ${m.join(' / ')} | ${(mean(m) / mean(b)).toFixed(2)}x |`,
  );
}
