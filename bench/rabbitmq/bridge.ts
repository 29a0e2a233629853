/**
 * RabbitMQ bridge benchmark: move N persistent CloudEvents (binary mode, 1 KiB data) from a
 * queue to an exchange (bound to a second queue), with publisher confirms on the destination and
 * source acks only after the confirm, four ways on the same broker:
 *   - meshgate: RabbitmqSource -> RabbitmqSink in this process (prefetch = maxInFlight);
 *   - gateway: the same as users configure it: `meshgate start` in its own process, a YAML
 *     RabbitmqSource (parallelism = the window) whose sink is a RabbitmqSink ref;
 *   - the Shovel plugin (dynamic shovel, ack-mode on-confirm, same prefetch);
 *   - raw: the same move written with amqplib alone (consume, publish on a confirm channel, ack
 *     each message on its confirm), to tell what amqplib and a Node process cost from meshgate's own.
 * Rate = messages arriving in the destination queue / time, measured the same way for all
 * (polling the destination queue depth from the first arrival to the last), runs interleaved.
 * meshgate runs as built (`npm run build` first, done here), as users run it.
 *
 * The Shovel runs inside the broker and spends the broker's CPU; meshgate and the raw loop run in
 * this process and compete with the broker for this machine's cores. `BENCH_PIN=1` gives each side
 * its own: the broker's threads on CPU 0 (restored afterwards) and this process on CPU 1, as when
 * the gateway runs on its own host or pod. Run both ways; they answer different questions.
 *
 *   rabbitmq-plugins enable rabbitmq_shovel    # once (scripts/services.sh up does it)
 *   npx tsx bench/rabbitmq/bridge.ts           # BENCH_EVENTS=20000 BENCH_ROUNDS=2 BENCH_WINDOW=1000
 *   BENCH_PIN=1 npx tsx bench/rabbitmq/bridge.ts   # broker on CPU 0, movers outside it on CPU 1
 *   BENCH_ONLY=meshgate|gateway|shovel|raw ... # one mover only (e.g. to read the broker's CPU)
 *   BENCH_PROF=<dir> ...                       # CPU profile of the meshgate moves
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelModel } from 'amqplib';
import { buildOnce, cpuSeconds, startMeshgateProcess } from '../support/bench-kit.js';

if (process.env.BENCH_PIN === '1' && process.env.BENCH_PINNED !== '1') process.exit(runPinned());

/** Pins the broker to CPU 0 and runs this script again on CPU 1; restores the broker after. */
function runPinned(): number {
  if (availableParallelism() < 2) throw new Error('BENCH_PIN=1 needs at least 2 CPUs');
  const found = spawnSync('pgrep', ['-o', '-f', 'beam.smp'], { encoding: 'utf8' });
  const beam = found.stdout?.trim() ?? '';
  if (beam === '') throw new Error('BENCH_PIN=1: no local RabbitMQ (beam.smp) process to pin');
  const mask = execFileSync('taskset', ['-p', beam], { encoding: 'utf8' }).trim().split(' ').at(-1)!;
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', '0', beam], { encoding: 'utf8' });
  if (pinned.status !== 0) {
    throw new Error(
      `BENCH_PIN=1: could not pin the broker (taskset -a -p -c 0 ${beam}): ${pinned.stderr.trim()}; ` +
        "run as root or as the broker's user",
    );
  }
  try {
    const child = spawnSync(
      'taskset',
      ['-c', '1', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } },
    );
    return child.status ?? 1;
  } finally {
    execFileSync('taskset', ['-a', '-p', mask, beam], { stdio: 'ignore' });
  }
}

buildOnce();
const { makeEvent } = await import('@meshgate/core');
const { RabbitmqSink, RabbitmqSource, toAmqpMessage } = await import('@meshgate/rabbitmq');
const { default: amqp } = await import('amqplib');

const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 1000);
const run = `bench-${Date.now().toString(36)}`;
/**
 * `BENCH_PROF=<dir>`: a CPU profile of this process while meshgate moves (preload excluded), one
 * file per round, for chrome://inspect or speedscope.
 */
const profileDir = process.env.BENCH_PROF;
async function profiled<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (profileDir === undefined) return work();
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(`${profileDir}/${label}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}
/** CPU time of this process per message moved, per round of the movers in it. */
const cpuPerMessage: { meshgate: number[]; gateway: number[]; raw: number[] } = {
  meshgate: [],
  gateway: [],
  raw: [],
};

/** Starts measuring this process's CPU; the returned function gives µs of it per message. */
function cpuMeter(): () => number {
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / N;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function declare(admin: ChannelModel, tag: string) {
  const ch = await admin.createChannel();
  const src = `${run}-${tag}-src`;
  const dst = `${run}-${tag}-dst`;
  const exchange = `${run}-${tag}-x`;
  await ch.assertQueue(src, { durable: true });
  await ch.assertQueue(dst, { durable: true });
  await ch.assertExchange(exchange, 'topic', { durable: true });
  await ch.bindQueue(dst, exchange, '#');
  await ch.close();
  return { src, dst, exchange };
}

async function preload(admin: ChannelModel, queue: string): Promise<void> {
  const ch = await admin.createConfirmChannel();
  const data = Buffer.alloc(1024, 'x');
  for (let i = 0; i < N; i++) {
    const event = makeEvent(
      {
        specversion: '1.0',
        id: `${queue}-${i}`,
        source: '/bench',
        type: 'bench.event',
        datacontenttype: 'text/plain',
      },
      data,
    );
    const msg = toAmqpMessage(event);
    if (!ch.sendToQueue(queue, msg.content, msg.properties)) await new Promise((r) => ch.once('drain', r));
    if (i % 1000 === 999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await ch.close();
}

/** Polls the destination depth; returns messages/s between the first and the last arrival. */
async function measure(admin: ChannelModel, queue: string): Promise<number> {
  const ch = await admin.createChannel();
  let first: { t: number; n: number } | undefined;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { messageCount } = await ch.checkQueue(queue);
    const t = performance.now();
    if (first === undefined && messageCount > 0) first = { t, n: messageCount };
    if (messageCount >= N) {
      await ch.close();
      if (first === undefined || t === first.t) return Number.NaN;
      return (messageCount - first.n) / ((t - first.t) / 1000);
    }
    if (Date.now() > deadline) throw new Error(`${queue}: only ${messageCount}/${N} after 300 s`);
    await sleep(20);
  }
}

async function meshgateRound(admin: ChannelModel, round: number): Promise<number> {
  const q = await declare(admin, `mg${round}`);
  await preload(admin, q.src);
  const sink = new RabbitmqSink({ name: 'bench-sink', url, exchange: q.exchange });
  const source = new RabbitmqSource({ name: 'bench-source', url, queue: q.src, maxInFlight: WINDOW });
  const rate = measure(admin, q.dst);
  const cpu = cpuMeter();
  const r = await profiled(`meshgate-${round}`, async () => {
    await source.start((d) => {
      sink.send(d.event).then(
        () => d.ack(),
        (err: Error) => d.nack(err, 100),
      );
    });
    return rate;
  });
  cpuPerMessage.meshgate.push(cpu());
  await source.stop();
  await sink.close();
  await drop(admin, q);
  return r;
}

/** The same move with amqplib alone: consume, publish on a confirm channel, ack on the confirm. */
async function rawRound(admin: ChannelModel, round: number): Promise<number> {
  const q = await declare(admin, `raw${round}`);
  await preload(admin, q.src);
  const inConn = await amqp.connect(url);
  const outConn = await amqp.connect(url);
  const inCh = await inConn.createChannel();
  const outCh = await outConn.createConfirmChannel();
  await inCh.prefetch(WINDOW);
  const rate = measure(admin, q.dst);
  const cpu = cpuMeter();
  await inCh.consume(q.src, (msg) => {
    if (msg === null) return;
    outCh.publish(
      q.exchange,
      msg.fields.routingKey,
      msg.content,
      { ...msg.properties, mandatory: true },
      (err) => {
        if (err) inCh.nack(msg, false, true);
        else inCh.ack(msg);
      },
    );
  });
  const r = await rate;
  cpuPerMessage.raw.push(cpu());
  await inConn.close();
  await outConn.close();
  await drop(admin, q);
  return r;
}

function rabbitmqctl(...args: string[]): void {
  execFileSync('rabbitmqctl', args, { stdio: 'ignore' });
}

/**
 * The same move as users run it: `meshgate start` (the built command, its own process) with a
 * RabbitmqSource whose sink is a RabbitmqSink ref, so each event also goes through the gateway's
 * delivery path (delivery policy, the sink's Addressable) as configured in YAML. Its CPU comes from
 * /proc (Linux).
 */
async function gatewayRound(admin: ChannelModel, round: number): Promise<number> {
  const q = await declare(admin, `gw${round}`);
  await preload(admin, q.src);
  const file = join(tmpdir(), `${run}-gw${round}.yaml`);
  writeFileSync(
    file,
    `apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: rabbit, namespace: bench }
spec:
  rabbitmq: { url: ${JSON.stringify(url)} }
---
apiVersion: meshgate.io/v1alpha1
kind: RabbitmqSink
metadata: { name: out, namespace: bench }
spec: { connection: rabbit, exchangeName: ${JSON.stringify(q.exchange)} }
---
apiVersion: meshgate.io/v1alpha1
kind: RabbitmqSource
metadata: { name: in, namespace: bench }
spec:
  connection: rabbit
  rabbitmqResourcesConfig: { queueName: ${JSON.stringify(q.src)}, predeclared: true, parallelism: ${WINDOW} }
  sink: { ref: { apiVersion: meshgate.io/v1alpha1, kind: RabbitmqSink, name: out } }
`,
  );
  const rate = measure(admin, q.dst);
  const gateway = await startMeshgateProcess(file);
  const pid = gateway.child.pid as number;
  const cpuAtStart = await cpuSeconds(pid);
  try {
    const r = await rate;
    cpuPerMessage.gateway.push((((await cpuSeconds(pid)) - cpuAtStart) * 1e6) / N);
    return r;
  } finally {
    const exited = once(gateway.child, 'exit');
    gateway.stop();
    await exited;
    rmSync(file, { force: true });
    await drop(admin, q);
  }
}

async function shovelRound(admin: ChannelModel, round: number): Promise<number> {
  const q = await declare(admin, `sh${round}`);
  await preload(admin, q.src);
  const name = `${run}-shovel-${round}`;
  const rate = measure(admin, q.dst);
  rabbitmqctl(
    'set_parameter',
    'shovel',
    name,
    JSON.stringify({
      'src-protocol': 'amqp091',
      'src-uri': url,
      'src-queue': q.src,
      'src-prefetch-count': WINDOW,
      'dest-protocol': 'amqp091',
      'dest-uri': url,
      'dest-exchange': q.exchange,
      'ack-mode': 'on-confirm',
    }),
  );
  try {
    return await rate;
  } finally {
    rabbitmqctl('clear_parameter', 'shovel', name);
    await drop(admin, q);
  }
}

async function drop(admin: ChannelModel, q: { src: string; dst: string; exchange: string }): Promise<void> {
  const ch = await admin.createChannel();
  await ch.deleteQueue(q.src);
  await ch.deleteQueue(q.dst);
  await ch.deleteExchange(q.exchange);
  await ch.close();
}

type Mover = 'shovel' | 'meshgate' | 'gateway' | 'raw';
const MOVERS: Record<Mover, (admin: ChannelModel, round: number) => Promise<number>> = {
  shovel: shovelRound,
  meshgate: meshgateRound,
  gateway: gatewayRound,
  raw: rawRound,
};

async function main(): Promise<void> {
  const admin = await amqp.connect(url);
  const only = process.env.BENCH_ONLY as Mover | undefined;
  if (only !== undefined && !(only in MOVERS))
    throw new Error(`BENCH_ONLY must be one of ${Object.keys(MOVERS).join(', ')}`);
  const movers: Mover[] = only === undefined ? ['shovel', 'meshgate', 'gateway', 'raw'] : [only];
  const rates: Record<Mover, number[]> = { shovel: [], meshgate: [], gateway: [], raw: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, rotating who goes first, so drift on a shared machine hits every mover.
    for (let k = 0; k < movers.length; k++) {
      const mover = movers[(round + k) % movers.length]!;
      rates[mover].push(await MOVERS[mover](admin, round));
    }
  }
  await admin.close();
  const fmt = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const ratio = (m: Mover, to: Mover) => (median(rates[m]) / median(rates[to])).toFixed(2);
  console.log(
    `\nRabbitMQ queue -> exchange bridge, ${N} persistent 1 KiB events, window ${WINDOW}, confirms on both sides${
      process.env.BENCH_PINNED === '1'
        ? ', broker on CPU 0, this process on CPU 1'
        : ', all sharing every CPU'
    }\n`,
  );
  console.log('| mover | msg/s per round | median msg/s | ratio to Shovel (medians) |');
  console.log('| --- | --- | --- | --- |');
  const rows: [Mover, string][] = [
    ['shovel', 'Shovel plugin (on-confirm)'],
    ['meshgate', 'meshgate RabbitmqSource -> RabbitmqSink'],
    ['gateway', '`meshgate start` process: RabbitmqSource -> sink ref RabbitmqSink'],
    ['raw', 'raw amqplib loop (consume, publish, ack on confirm)'],
  ];
  for (const [m, label] of rows) {
    if (rates[m].length === 0) continue;
    console.log(
      `| ${label} | ${fmt(rates[m])} | ${Math.round(median(rates[m])).toLocaleString('en-US')} | ${ratio(m, 'shovel')} |`,
    );
  }
  if (rates.meshgate.length > 0 && rates.raw.length > 0)
    console.log(`\nmeshgate / raw amqplib loop: ${ratio('meshgate', 'raw')}`);
  const us = (xs: number[]) => xs.map((c) => c.toFixed(1)).join(' / ');
  for (const m of ['meshgate', 'gateway', 'raw'] as const) {
    if (cpuPerMessage[m].length > 0)
      console.log(`${m} process CPU per message, per round: ${us(cpuPerMessage[m])} µs`);
  }
}

await main();
