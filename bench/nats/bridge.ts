/**
 * NATS JetStream bridge benchmark: move N CloudEvents (binary mode, 1 KiB data) from stream A
 * to stream B (file storage), at least once on both sides (ack on A only after B's PubAck):
 *   - meshgate: NatsSource (durable consumer) -> NatsSink (JetStream publish, Nats-Msg-Id);
 *   - raw: a nats.js consume-and-publish loop with the same window, in this same script.
 * Rate = messages arriving in B / time from the first arrival to the last, runs interleaved.
 *
 *   npx tsx bench/nats/bridge.ts        # BENCH_EVENTS=20000 BENCH_ROUNDS=3 BENCH_WINDOW=1000
 *   BENCH_RAW_MSGID=1 npx tsx bench/nats/bridge.ts   # the raw loop sets Nats-Msg-Id too
 *   BENCH_RAW_NO_TRACES=1 ...                         # and turns off per-request stack traces
 */
import { spawnSync } from 'node:child_process';
import type { NatsConnection } from 'nats';

// @meshgate/* must resolve to their sources: run again under that export condition.
if (!process.execArgv.includes('--conditions=meshgate-source')) {
  const child = spawnSync(
    process.execPath,
    ['--conditions=meshgate-source', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}
const { makeEvent } = await import('@meshgate/core');
const { NatsSink, NatsSource, toNatsMessage } = await import('@meshgate/nats');
const { AckPolicy, connect, headers: natsHeaders } = await import('nats');

const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 1000);
const RAW_MSGID = process.env.BENCH_RAW_MSGID === '1';
// BENCH_RAW_NO_TRACES=1: the raw loop's connection also turns off nats.js's per-request stack
// traces (noAsyncTraces), as meshgate's connections do.
const RAW_NO_TRACES = process.env.BENCH_RAW_NO_TRACES === '1';
const run = `BENCH_${Date.now().toString(36)}`;
/** Process CPU time per moved message, in µs, per mover. */
const cpuPerMsg = { meshgate: [] as number[], raw: [] as number[] };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Streams {
  a: string;
  b: string;
}

async function declare(nc: NatsConnection, tag: string): Promise<Streams> {
  const jsm = await nc.jetstreamManager();
  const a = `${run}_${tag}_A`;
  const b = `${run}_${tag}_B`;
  await jsm.streams.add({ name: a, subjects: [`${a}.>`] });
  await jsm.streams.add({ name: b, subjects: [`${b}.>`] });
  return { a, b };
}

async function preload(nc: NatsConnection, stream: string): Promise<void> {
  const js = nc.jetstream();
  const data = Buffer.alloc(1024, 'x');
  let batch: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    const event = makeEvent(
      {
        specversion: '1.0',
        id: `${stream}-${i}`,
        source: '/bench',
        type: 'bench.event',
        datacontenttype: 'text/plain',
      },
      data,
    );
    const msg = toNatsMessage(event);
    const h = natsHeaders();
    for (const [k, v] of Object.entries(msg.headers ?? {})) h.set(k, v);
    batch.push(js.publish(`${stream}.in`, msg.data, { headers: h }));
    if (batch.length === 500) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
}

/** Polls stream B; messages/s between the first and the last arrival. */
async function measure(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await nc.jetstreamManager();
  let first: { t: number; n: number } | undefined;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const n = (await jsm.streams.info(stream)).state.messages;
    const t = performance.now();
    if (first === undefined && n > 0) first = { t, n };
    if (n >= N)
      return first === undefined || t === first.t ? Number.NaN : (n - first.n) / ((t - first.t) / 1000);
    if (Date.now() > deadline) throw new Error(`${stream}: only ${n}/${N} after 300 s`);
    await sleep(20);
  }
}

/** Runs a move, recording this process's CPU time per message (polling included, for both). */
async function withCpu<T>(into: number[], fn: () => Promise<T>): Promise<T> {
  const cpu = process.cpuUsage();
  const r = await fn();
  const used = process.cpuUsage(cpu);
  into.push((used.user + used.system) / N);
  return r;
}

async function meshgateRound(nc: NatsConnection, round: number): Promise<number> {
  const s = await declare(nc, `mg${round}`);
  await preload(nc, s.a);
  const sink = new NatsSink({ name: 'bench-sink', servers, subject: `${s.b}.out` });
  const source = new NatsSource({ name: 'bench-source', servers, stream: s.a, maxInFlight: WINDOW });
  const rate = await withCpu(cpuPerMsg.meshgate, async () => {
    const r = measure(nc, s.b);
    await source.start((d) => {
      sink.send(d.event).then(
        () => d.ack(),
        (err: Error) => d.nack(err, 100),
      );
    });
    return r;
  });
  await source.stop();
  await sink.close();
  await drop(nc, s);
  return rate;
}

/** The baseline: the simplest correct at-least-once loop with nats.js, same window. */
async function rawRound(nc: NatsConnection, round: number): Promise<number> {
  const s = await declare(nc, `raw${round}`);
  await preload(nc, s.a);
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add(s.a, {
    durable_name: 'raw',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: WINDOW,
  });
  const worker = await connect({ servers, ...(RAW_NO_TRACES && { noAsyncTraces: true }) });
  const js = worker.jetstream();
  const consumer = await js.consumers.get(s.a, 'raw');
  const rate = await withCpu(cpuPerMsg.raw, async () => {
    const r = measure(nc, s.b);
    const messages = await consumer.consume({
      max_messages: WINDOW,
      callback: (m) => {
        // BENCH_RAW_MSGID=1: the raw loop also sets Nats-Msg-Id, as NatsSink does (the server then
        // checks its duplicate window per message): the same guarantee on both sides.
        const msgID = RAW_MSGID ? `${m.headers?.get('ce-source')} ${m.headers?.get('ce-id')}` : undefined;
        js.publish(`${s.b}.out`, m.data, { headers: m.headers, ...(msgID && { msgID }) }).then(
          () => m.ack(),
          () => m.nak(100),
        );
      },
    });
    const result = await r;
    messages.stop();
    return result;
  });
  await worker.close();
  await drop(nc, s);
  return rate;
}

async function drop(nc: NatsConnection, s: Streams): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(s.a);
  await jsm.streams.delete(s.b);
}

const nc = await connect({ servers });
const mg: number[] = [];
const raw: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (process.env.BENCH_ONLY === 'meshgate') {
    mg.push(await meshgateRound(nc, round));
    continue;
  }
  if (process.env.BENCH_ONLY === 'raw') {
    raw.push(await rawRound(nc, round));
    continue;
  }
  // Interleaved, alternating who goes first, so drift on a shared machine hits both.
  if (round % 2 === 0) {
    raw.push(await rawRound(nc, round));
    mg.push(await meshgateRound(nc, round));
  } else {
    mg.push(await meshgateRound(nc, round));
    raw.push(await rawRound(nc, round));
  }
}
await nc.close();
const fmt = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `\nNATS JetStream stream -> stream bridge, ${N} 1 KiB events, window ${WINDOW}, ack after PubAck\n`,
);
const us = (xs: number[]) => Math.round(median(xs));
console.log('| mover | msg/s per round | ratio to raw loop (median) | CPU µs/msg (median) |');
console.log('| --- | --- | --- | --- |');
console.log(`| raw nats.js consume + publish loop | ${fmt(raw)} | 1.00 | ${us(cpuPerMsg.raw)} |`);
console.log(
  `| meshgate NatsSource -> NatsSink | ${fmt(mg)} | ${(median(mg) / median(raw)).toFixed(2)} | ${us(cpuPerMsg.meshgate)} |`,
);
