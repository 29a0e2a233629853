/**
 * Pub/Sub benchmark (issue 5): events/s from an emulator topic through PubSubSource to an HTTP
 * sink, against a baseline in the same run: the raw @google-cloud/pubsub client pulling the same
 * backlog and POSTing each message with undici (binary mode, `ce-` attributes as headers),
 * acking on 2xx. Same flow-control window (64 in flight) on both.
 *
 * The meshgate path is what a Source → Addressable delivery does: decode the Pub/Sub message
 * into a MeshEvent (binding), send it with @meshgate/knative's HttpAddressableSender (Knative
 * reply handling included), ack on 2xx, nack otherwise.
 *
 * Both rates are timed from the first delivery to the last ack, so stream setup is left out.
 * The HTTP sink is a bare node:http server in a child process that answers 202.
 * The emulator is the bottleneck on this machine (it is a single JVM sharing the 2 cores), so
 * the absolute figures say more about the emulator than about either path; the ratio is the point.
 *
 * Run: npx tsx --conditions=meshgate-source bench/pubsub/source-to-http.bench.ts [--quick]
 * Needs the emulator: PUBSUB_EMULATOR_HOST (default 127.0.0.1:8085), PUBSUB_PROJECT_ID (default meshgate-test).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { type Message, PubSub } from '@google-cloud/pubsub';
import type { Delivery } from '@meshgate/core';
import { HttpAddressableSender } from '@meshgate/knative';
import { PubSubSink, PubSubSource, createPubSubConnection } from '@meshgate/pubsub';

// The baseline uses the undici that @meshgate/knative uses (v7; the root one is another major).
const { Agent, request } = createRequire(new URL('../../packages/knative/package.json', import.meta.url))(
  'undici',
) as typeof import('undici');

const quick = process.argv.includes('--quick');
const EVENTS = quick ? 1_000 : 4_000;
const ROUNDS = quick ? 2 : 3;
const IN_FLIGHT = 64;
const emulatorHost = process.env.PUBSUB_EMULATOR_HOST ?? '127.0.0.1:8085';
const projectId = process.env.PUBSUB_PROJECT_ID ?? 'meshgate-test';
// The client would otherwise probe for a GCE metadata server and warn about it.
process.env.METADATA_SERVER_DETECTION ??= 'none';

/** The HTTP sink: a bare node:http server in a child process, 202 for every POST. */
const SINK_SOURCE = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(202, { 'content-length': '0' }); res.end(); });
});
server.keepAliveTimeout = 10000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

async function startSink(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', SINK_SOURCE], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [port] = (await once(child, 'message')) as [number];
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill() };
}

/** Drains one subscription with PubSubSource → HttpAddressableSender; resolves with events/s. */
async function runMeshgate(subscription: string, url: string): Promise<number> {
  const connection = createPubSubConnection({ name: 'bench', projectId, emulatorHost });
  const sender = new HttpAddressableSender();
  let done = 0;
  let failed = 0;
  let started = 0;
  let finished: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const source = new PubSubSource({ connection, subscription, maxInFlight: IN_FLIGHT, stopGraceMs: 1000 });
  await source.start((delivery: Delivery) => {
    if (started === 0) started = performance.now();
    sender.send({ url, event: delivery.event, timeoutMs: 10_000 }).then(
      (response) => {
        if (response.status >= 200 && response.status < 300) {
          delivery.ack();
          done += 1;
          if (done === EVENTS) finished();
        } else {
          failed += 1;
          delivery.nack(new Error(`HTTP ${response.status}`));
        }
      },
      (err: Error) => {
        failed += 1;
        delivery.nack(err);
      },
    );
  });
  await all;
  const rate = EVENTS / ((performance.now() - started) / 1000);
  await source.stop();
  await connection.close();
  if (failed > 0) console.log(`  (meshgate: ${failed} failed sends, retried)`);
  return rate;
}

/** Drains one subscription with the raw client, POSTing with undici; resolves with events/s. */
async function runBaseline(subscription: string, url: string): Promise<number> {
  const pubsub = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true });
  const agent = new Agent({ connections: 128, keepAliveTimeout: 4000 });
  const sub = pubsub.subscription(subscription, {
    flowControl: { maxMessages: IN_FLIGHT, allowExcessMessages: false },
    batching: { maxMilliseconds: 10 },
  });
  let done = 0;
  let started = 0;
  await new Promise<void>((resolve, reject) => {
    sub.on('error', reject);
    sub.on('message', (message: Message) => {
      if (started === 0) started = performance.now();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.attributes)) headers[k] = v;
      request(url, { method: 'POST', headers, body: message.data, dispatcher: agent }).then(
        async (response) => {
          await response.body.dump();
          if (response.statusCode >= 200 && response.statusCode < 300) {
            message.ack();
            done += 1;
            if (done === EVENTS) resolve();
          } else message.nack();
        },
        () => message.nack(),
      );
    });
  });
  const rate = EVENTS / ((performance.now() - started) / 1000);
  await sub.close();
  await agent.close();
  await pubsub.close();
  return rate;
}

async function main(): Promise<void> {
  const admin = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true });
  const stamp = Date.now().toString(36);
  const [topic] = await admin.createTopic(`bench-source-http-${stamp}`);
  const runs: Array<{ path: 'meshgate' | 'baseline' | 'warm-up'; subscription: string }> = [];
  // A first drain warms the emulator's JVM up (its JIT makes later runs faster); not counted.
  const [warm] = await topic.createSubscription(`${topic.name.split('/').pop()}-warm-up`, {
    ackDeadlineSeconds: 60,
  });
  runs.push({ path: 'warm-up', subscription: warm.name });
  // Interleaved, so that neither path always runs on a warmer emulator.
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['baseline', 'meshgate'] as const) : (['meshgate', 'baseline'] as const);
    for (const path of order) {
      const [sub] = await topic.createSubscription(`${topic.name.split('/').pop()}-${path}-${round}`, {
        ackDeadlineSeconds: 60,
      });
      runs.push({ path, subscription: sub.name });
    }
  }
  // Every subscription gets the same backlog: small JSON events in binary mode.
  const connection = createPubSubConnection({ name: 'bench', projectId, emulatorHost });
  const sink = new PubSubSink({ connection, topic: topic.name, maxBatchDelayMs: 20, maxBatchMessages: 500 });
  const publishing: Promise<void>[] = [];
  for (let i = 0; i < EVENTS; i++) {
    publishing.push(
      sink.send({
        attributes: {
          specversion: '1.0',
          id: `bench-${i}`,
          source: '/bench/pubsub',
          type: 'io.meshgate.bench',
          datacontenttype: 'application/json',
        },
        data: Buffer.from(`{"n":${i},"payload":"${'x'.repeat(100)}"}`),
      }),
    );
  }
  await Promise.all(publishing);
  await sink.close();
  await connection.close();

  const httpSink = await startSink();
  const rates: Record<'meshgate' | 'baseline', number[]> = { meshgate: [], baseline: [] };
  try {
    for (const run of runs) {
      const rate =
        run.path === 'meshgate'
          ? await runMeshgate(run.subscription, httpSink.url)
          : await runBaseline(run.subscription, httpSink.url);
      if (run.path !== 'warm-up') rates[run.path].push(rate);
      console.log(`${run.path.padEnd(9)} ${EVENTS} events  ${rate.toFixed(0).padStart(6)} events/s`);
    }
  } finally {
    httpSink.stop();
    for (const run of runs)
      await admin
        .subscription(run.subscription)
        .delete()
        .catch(() => {});
    await topic.delete().catch(() => {});
    await admin.close();
  }
  const best = (xs: number[]) => Math.max(...xs);
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  console.log(
    `meshgate/baseline: best ${(best(rates.meshgate) / best(rates.baseline)).toFixed(2)}x, ` +
      `median ${(median(rates.meshgate) / median(rates.baseline)).toFixed(2)}x ` +
      `(emulator-bound: both paths wait on the emulator's streaming pull)`,
  );
}

await main();
