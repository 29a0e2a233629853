/**
 * Issue 6 benchmark: what the peer link costs.
 *
 * 1. Two gateway processes, HTTP ingress at east -> federated memory Broker -> peer link ->
 *    west's copy of the Broker -> Trigger -> HTTP sink (another process), against the same flow
 *    inside one gateway (ingress -> Broker -> Trigger -> sink), in the same script:
 *    - throughput: closed loop, 32 requests in flight, events/s counted at the sink (from the first
 *      request until the sink has every accepted event), rounds interleaved;
 *    - latency: open loop at OPEN_RATE events/s, p50/p99 from the load generator's send time to
 *      the sink's receive time (same machine clock).
 *    Targets (issue 6): the hop costs at most 1 ms at p50 and keeps >= 60% of the throughput.
 * 2. Events and bytes across the link with 10% of the events matching west's Trigger:
 *    - interest routing on, measured on the two processes above (east's /api/v1/peers counters);
 *    - on and off with @meshgate/core's FederationNode in this process (`interestRouting: false`,
 *      as the gateway's `spec.federation.interestRouting`), same events, a sender that answers 202
 *      like a peer.
 *
 * Run: npx tsx bench/federation/federation.bench.ts [--quick]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type AddressableSender,
  FederationNode,
  makeEvent,
  type MeshEvent,
  resolveDeliveryPolicy,
  type SendRequest,
} from '../../packages/core/src/index.js';
import {
  closedLoop,
  eventHeaders,
  meshgateCommand,
  openLoop,
  percentile,
  repoRoot,
  startLatencySink,
  table,
  waitFor,
} from '../support/bench-kit.js';

const quick = process.argv.includes('--quick');
const DURATION_MS = quick ? 3_000 : 6_000;
const ROUNDS = quick ? 1 : 2;
const CONCURRENCY = 32;
const OPEN_RATE = 500;
const OPEN_MS = quick ? 3_000 : 6_000;
const INTEREST_EVENTS = quick ? 2_000 : 5_000;
const TOKEN = 'bench-peer-token';

// --- processes ---------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** `meshgate start` from source on a known port (peers must know each other's URL up front). */
async function meshgate(yaml: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const file = join(mkdtempSync(join(tmpdir(), 'meshgate-fed-bench-')), 'gateway.yaml');
  writeFileSync(file, yaml);
  const child = spawn(
    process.execPath,
    [...meshgateCommand(), 'start', '-f', file, '--port', String(port), '--host', '127.0.0.1', '--no-watch'],
    {
      cwd: repoRoot,
      env: { ...process.env, MESHGATE_LOG_FORMAT: 'json', MESHGATE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', () => {});
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    try {
      return (await fetch(`${url}/readyz`)).ok;
    } catch {
      return false;
    }
  }, 30_000);
  return { url, child };
}

const broker = (federated: boolean) => `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: bench
  annotations: { meshgate.io/buffer-size: "100000"${federated ? ', meshgate.io/federated: "true"' : ''} }
`;
const gateway = (id: string) => `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: ${id} }
spec: { id: ${id} }
`;
const peer = (id: string, url: string) => `apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: ${id}, namespace: bench }
spec: { url: "${url}", token: "${TOKEN}" }
`;
const trigger = (sinkUrl: string) => `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: bench, annotations: { meshgate.io/max-in-flight: "64" } }
spec:
  broker: default
  filter: { attributes: { type: com.example.bench } }
  subscriber: { uri: ${sinkUrl}/ }
`;
const docs = (...parts: string[]) => parts.join('---\n');

const sink = await startLatencySink();
const [eastPort, westPort, singlePort] = [await freePort(), await freePort(), await freePort()];
const eastUrl = `http://127.0.0.1:${eastPort}`;
const westUrl = `http://127.0.0.1:${westPort}`;
const west = await meshgate(
  docs(gateway('west'), broker(true), peer('east', eastUrl), trigger(sink.url)),
  westPort,
);
const east = await meshgate(docs(gateway('east'), broker(true), peer('west', westUrl)), eastPort);
const single = await meshgate(docs(gateway('single'), broker(false), trigger(sink.url)), singlePort);
// West's interest reaches east (announced at start, retried every 2 s).
await new Promise((r) => setTimeout(r, 2_500));

const targets = { single: `${single.url}/bench/default`, federated: `${east.url}/bench/default` };

async function throughput(url: string): Promise<number> {
  await sink.report(); // reset
  const start = performance.now();
  const { accepted } = await closedLoop(url, CONCURRENCY, DURATION_MS);
  let delivered = 0;
  await waitFor(async () => {
    delivered += (await sink.report()).count;
    return delivered >= accepted;
  }, 60_000);
  return delivered / ((performance.now() - start) / 1000);
}

async function latency(url: string): Promise<{ p50: number; p99: number; refused: number }> {
  await sink.report();
  const { refused, sent } = await openLoop(url, OPEN_RATE, OPEN_MS);
  const all: number[] = [];
  await waitFor(async () => {
    all.push(...(await sink.report()).latencies);
    return all.length >= sent - refused;
  }, 60_000);
  return { p50: percentile(all, 50), p99: percentile(all, 99), refused };
}

async function linkCounters(): Promise<{ forwarded: number; filteredOut: number; bytes: number }> {
  const view = (await (await fetch(`${east.url}/api/v1/peers`)).json()) as {
    items: { id: string; counters: { forwarded: number; filteredOut: number; bytes: number } }[];
  };
  return view.items.find((p) => p.id === 'west')?.counters ?? { forwarded: 0, filteredOut: 0, bytes: 0 };
}

// Warm up both paths (JIT, connections).
await closedLoop(targets.single, CONCURRENCY, 1_000);
await closedLoop(targets.federated, CONCURRENCY, 1_000);
await waitFor(async () => (await sink.report()).count === 0, 30_000);

const rates: Record<'single' | 'federated', number[]> = { single: [], federated: [] };
for (let r = 0; r < ROUNDS; r++)
  for (const name of ['single', 'federated'] as const) rates[name].push(await throughput(targets[name]));
const lat = { single: await latency(targets.single), federated: await latency(targets.federated) };

// 10% matching over the real link: 1 event in 10 has the type west's Trigger wants.
const typeOf = (i: number) => (i % 10 === 0 ? 'com.example.bench' : 'com.example.other');
const before = await linkCounters();
await sink.report();
let next = 0;
const poster = async () => {
  while (next < INTEREST_EVENTS) {
    const i = next++;
    const res = await fetch(targets.federated, {
      method: 'POST',
      headers: eventHeaders(typeOf(i)),
      body: JSON.stringify({ order: i, items: ['a', 'b'], total: 12.5 }),
    });
    await res.arrayBuffer();
  }
};
await Promise.all(Array.from({ length: 16 }, poster));
const matching = Math.ceil(INTEREST_EVENTS / 10);
let arrived = 0;
await waitFor(async () => {
  arrived += (await sink.report()).count;
  return arrived >= matching;
}, 30_000);
const after = await linkCounters();
const processOn = {
  forwarded: after.forwarded - before.forwarded,
  filteredOut: after.filteredOut - before.filteredOut,
  bytes: after.bytes - before.bytes,
};

// --- interest routing on and off, library level ------------------------------------------------

/** Answers 202 like a peer that took the event, after west's `admit`. */
class LoopbackPeer implements AddressableSender {
  constructor(private readonly node: FederationNode) {}
  async send(request: SendRequest) {
    this.node.admit('bench/default', request.event);
    return { status: 202, headers: {} };
  }
}

async function libraryRun(interestRouting: boolean) {
  const policy = resolveDeliveryPolicy({ retry: 0 });
  const westNode = new FederationNode({
    gatewayId: 'west',
    interestRouting,
    sender: { send: async () => ({ status: 202, headers: {} }) },
    policy,
  });
  westNode.table.setLocalInterest([
    {
      namespace: 'bench',
      name: 'default',
      filters: [{ filter: { attributes: { type: 'com.example.bench' } } }],
    },
  ]);
  const loop = new LoopbackPeer(westNode);
  const eastNode = new FederationNode({
    gatewayId: 'east',
    interestRouting,
    sender: loop,
    policy,
    peers: [{ id: 'west', url: 'http://west.invalid' }],
  });
  eastNode.table.setLocalInterest([{ namespace: 'bench', name: 'default', filters: [] }]);
  eastNode.table.applyAnnouncement(westNode.table.buildAnnouncement('east'), 'west');
  const events: MeshEvent[] = Array.from({ length: INTEREST_EVENTS }, (_, i) =>
    makeEvent(
      {
        specversion: '1.0',
        id: `e${i}`,
        source: '/bench',
        type: typeOf(i),
        datacontenttype: 'application/json',
      },
      JSON.stringify({ order: i, items: ['a', 'b'], total: 12.5 }),
    ),
  );
  for (const e of events) await eastNode.forward('bench/default', e);
  const c = eastNode.forwarder.counters('west');
  return {
    forwarded: c.forwarded,
    filteredOut: c.filteredOut,
    bytes: c.bytes,
    accepted: westNode.received.accept,
  };
}
const libOn = await libraryRun(true);
const libOff = await libraryRun(false);

// --- report ------------------------------------------------------------------------------------

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `\nHTTP ingress -> Broker -> Trigger -> HTTP sink: one gateway vs east -> peer link -> west (${ROUNDS} round(s) of ${DURATION_MS / 1000} s, ${CONCURRENCY} in flight; latency at ${OPEN_RATE} events/s)\n`,
);
console.log(
  table(
    [
      'path',
      'events/s (rounds)',
      'mean events/s',
      `p50 ms @${OPEN_RATE}/s`,
      `p99 ms @${OPEN_RATE}/s`,
      'refused',
    ],
    (['single', 'federated'] as const).map((k) => [
      k === 'single' ? 'one gateway' : 'east -> west',
      rates[k].map((x) => Math.round(x)).join(', '),
      Math.round(mean(rates[k])),
      lat[k].p50,
      lat[k].p99,
      lat[k].refused,
    ]),
  ),
);
console.log(
  `\nfederated / single throughput: ${(mean(rates.federated) / mean(rates.single)).toFixed(2)}x (target >= 0.60)`,
);
console.log(
  `p50 added by the peer hop: ${(lat.federated.p50 - lat.single.p50).toFixed(2)} ms (target <= 1 ms); p99 added: ${(lat.federated.p99 - lat.single.p99).toFixed(2)} ms`,
);
console.log(`\nAcross the link, ${INTEREST_EVENTS} events of which 10% match west's Trigger:\n`);
console.log(
  table(
    ['where', 'interest routing', 'events across', 'share', 'filtered out', 'bytes across'],
    [
      [
        'gateway processes',
        'on',
        processOn.forwarded,
        `${((100 * processOn.forwarded) / INTEREST_EVENTS).toFixed(1)}%`,
        processOn.filteredOut,
        processOn.bytes,
      ],
      [
        'FederationNode',
        'on',
        libOn.forwarded,
        `${((100 * libOn.forwarded) / INTEREST_EVENTS).toFixed(1)}%`,
        libOn.filteredOut,
        libOn.bytes,
      ],
      [
        'FederationNode',
        'off',
        libOff.forwarded,
        `${((100 * libOff.forwarded) / INTEREST_EVENTS).toFixed(1)}%`,
        libOff.filteredOut,
        libOff.bytes,
      ],
    ],
  ),
);
console.log(`\nbytes across, on / off: ${(libOn.bytes / libOff.bytes).toFixed(3)}`);

// With MESHGATE_BENCH_PROF the gateways must exit cleanly to write their CPU profiles.
const profiling = process.env.MESHGATE_BENCH_PROF !== undefined;
await Promise.all(
  [east, west, single].map(
    (p) =>
      new Promise((resolve) => {
        p.child.once('exit', resolve);
        p.child.kill(profiling ? 'SIGTERM' : 'SIGKILL');
      }),
  ),
);
sink.stop();
process.exit(0);
