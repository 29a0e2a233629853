/**
 * Federation between real gateway processes: a triangle with links both ways (every event reaches
 * every matching Trigger once, crosses each link at most once, never loops), and peer
 * authentication (a wrong token is refused with 401 and logged; fixing the file recovers the link).
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postEvent } from './support/gateway.js';
import { freePort } from './support/ports.js';
import { type Proc, startMeshgate, startSubscriber, type Subscriber } from './support/processes.js';

interface PeerSpec {
  id: string;
  url: string;
  token: string;
}

/** One gateway's configuration: the federated Broker mesh/default, its Peers and Triggers. */
function gatewayYaml(
  id: string,
  peers: PeerSpec[],
  triggers: { name: string; url: string; filter: string }[],
) {
  const docs = [
    `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: ${id} }
spec: { id: ${id} }`,
    `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: mesh
  annotations: { meshgate.io/federated: "true" }`,
    ...peers.map(
      (p) => `apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: ${p.id}, namespace: mesh }
spec: { url: "${p.url}", token: "${p.token}" }`,
    ),
    ...triggers.map(
      (t) => `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${t.name}, namespace: mesh }
spec:
  broker: default
  filter: { attributes: ${t.filter} }
  subscriber: { uri: "${t.url}" }`,
    ),
  ];
  return `${docs.join('\n---\n')}\n`;
}

/** Writes the file in one step (a rename), so a watching gateway never reads half of it. */
function writeConfig(file: string, yaml: string): void {
  writeFileSync(`${file}.tmp`, yaml);
  renameSync(`${file}.tmp`, file);
}

function configFile(id: string, yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), `meshgate-${id}-`)), 'gateway.yaml');
  writeConfig(file, yaml);
  return file;
}

interface PeersView {
  items: {
    id: string;
    counters: { forwarded: number; filteredOut: number; looped: number; failed: number };
  }[];
  received: Record<string, number>;
}

async function peersOf(url: string): Promise<PeersView> {
  return (await (await fetch(`${url}/api/v1/peers`)).json()) as PeersView;
}

function forwardedTo(view: PeersView, peer: string): number {
  return view.items.find((p) => p.id === peer)?.counters.forwarded ?? -1;
}

/** Posts events with a few requests in flight at once; every one must be accepted. */
async function publish(url: string, ids: string[], type: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const { status, body } = await postEvent(url, { type, id, source: '/triangle' });
      if (status !== 202) throw new Error(`${id}: ${status} ${body}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const idsOf = (s: Subscriber) => s.requests().map((r) => r.headers['ce-id'] as string);

async function started(...procs: Proc[]): Promise<void> {
  for (const p of procs) await p.waitFor(/meshgate started/, 30_000);
}

describe('federation mesh (gateway processes)', () => {
  it('triangle with links both ways: 1,000 events reach every matching Trigger once, each link at most once, no loops', async () => {
    const names = ['a', 'b', 'c'] as const;
    const ports = { a: await freePort(), b: await freePort(), c: await freePort() };
    const url = (g: (typeof names)[number]) => `http://127.0.0.1:${ports[g]}`;
    const token = 'triangle-shared-token';
    const subs = { a: await startSubscriber(), b: await startSubscriber(), c: await startSubscriber() };
    const other = await startSubscriber();
    const procs = names.map((g) => {
      const triggers = [{ name: `orders-${g}`, url: subs[g].url, filter: '{ type: order.created }' }];
      // A Trigger nothing matches: its gateway still announces interest, but for another type.
      if (g === 'c') triggers.push({ name: 'refunds', url: other.url, filter: '{ type: order.refunded }' });
      const peers = names.filter((p) => p !== g).map((p) => ({ id: p, url: url(p), token }));
      return startMeshgate([
        'start',
        '-f',
        configFile(g, gatewayYaml(g, peers, triggers)),
        '--port',
        String(ports[g]),
      ]);
    });
    await started(...procs);
    // Interest travels both ways on every link (debounced 100 ms, retried every 2 s).
    await new Promise((r) => setTimeout(r, 2_500));

    const ids = Array.from({ length: 1_000 }, (_, i) => `t-${i}`);
    await publish(`${url('a')}/mesh/default`, ids, 'order.created');
    for (const g of names)
      await expect.poll(() => subs[g].requests().length, { timeout: 30_000 }).toBe(1_000);
    // Nothing more arrives: no copy is still circling.
    await new Promise((r) => setTimeout(r, 1_500));

    const views = { a: await peersOf(url('a')), b: await peersOf(url('b')), c: await peersOf(url('c')) };
    console.info(
      'triangle: deliveries per Trigger',
      Object.fromEntries(names.map((g) => [g, subs[g].requests().length])),
      'forwarded per link',
      Object.fromEntries(
        names.flatMap((g) =>
          names.filter((p) => p !== g).map((p) => [`${g}->${p}`, forwardedTo(views[g], p)]),
        ),
      ),
      'received',
      Object.fromEntries(names.map((g) => [g, views[g].received])),
    );
    for (const g of names) {
      expect(subs[g].requests()).toHaveLength(1_000);
      expect(new Set(idsOf(subs[g])).size).toBe(1_000);
    }
    expect(other.requests()).toHaveLength(0);
    // The origin sends one copy straight to each interested peer; nobody relays anything back.
    expect(forwardedTo(views.a, 'b')).toBe(1_000);
    expect(forwardedTo(views.a, 'c')).toBe(1_000);
    for (const [g, p] of [
      ['b', 'a'],
      ['b', 'c'],
      ['c', 'a'],
      ['c', 'b'],
    ] as const)
      expect(forwardedTo(views[g], p), `${g}->${p}`).toBe(0);
    for (const g of ['b', 'c'] as const) {
      expect(views[g].received.accept).toBe(1_000);
      expect(views[g].received.loop ?? 0).toBe(0);
      expect(views[g].received.duplicate ?? 0).toBe(0);
    }
    for (const p of procs) await p.stop();
  }, 60_000);

  it('a wrong peer token is refused with 401 and logged; fixing the file recovers the link', async () => {
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const east = `http://127.0.0.1:${eastPort}`;
    const west = `http://127.0.0.1:${westPort}`;
    const sink = await startSubscriber();
    const good = 'the-right-token';
    const westGw = startMeshgate([
      'start',
      '-f',
      configFile(
        'west',
        gatewayYaml(
          'west',
          [{ id: 'east', url: east, token: good }],
          [{ name: 'orders', url: sink.url, filter: '{ type: order.created }' }],
        ),
      ),
      '--port',
      String(westPort),
    ]);
    const eastFile = configFile(
      'east',
      gatewayYaml('east', [{ id: 'west', url: west, token: 'a-stale-token' }], []),
    );
    const eastGw = startMeshgate(['start', '-f', eastFile, '--port', String(eastPort)]);
    await started(westGw, eastGw);

    // Each side refuses the other's announcements, and says so in its log.
    await westGw.waitFor(/interest announcement refused: unknown peer or bad token/, 10_000);
    await eastGw.waitFor(/interest announcement refused: unknown peer or bad token/, 10_000);
    await eastGw.waitFor(/answered 401 to an interest announcement/, 10_000);
    // What east presents is refused with 401 on the event path too.
    const asEast = await fetch(`${west}/mesh/default`, {
      method: 'POST',
      headers: {
        'meshgate-peer': 'east',
        authorization: 'Bearer a-stale-token',
        'ce-specversion': '1.0',
        'ce-id': 'x',
        'ce-source': '/s',
        'ce-type': 'order.created',
      },
    });
    expect(asEast.status).toBe(401);
    expect(asEast.headers.get('www-authenticate')).toBe('Bearer');

    // Meanwhile events published at east do not reach west.
    for (let i = 0; i < 5; i++)
      expect(
        (await postEvent(`${east}/mesh/default`, { type: 'order.created', id: `before-${i}` })).status,
      ).toBe(202);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(idsOf(sink).filter((id) => id.startsWith('before-'))).toEqual([]);

    // The operator fixes the token in east's file; east reloads it and the link comes back.
    writeConfig(eastFile, gatewayYaml('east', [{ id: 'west', url: west, token: good }], []));
    await eastGw.waitFor(/configuration reloaded/, 10_000);
    await expect
      .poll(
        async () => {
          const id = `after-${Date.now()}`;
          await postEvent(`${east}/mesh/default`, { type: 'order.created', id });
          await new Promise((r) => setTimeout(r, 300));
          return idsOf(sink).some((x) => x.startsWith('after-'));
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBe(true);
    const ids = Array.from({ length: 20 }, (_, i) => `fixed-${i}`);
    await publish(`${east}/mesh/default`, ids, 'order.created');
    await expect
      .poll(() => idsOf(sink).filter((id) => id.startsWith('fixed-')).length, { timeout: 10_000 })
      .toBe(20);
    expect(forwardedTo(await peersOf(east), 'west')).toBeGreaterThanOrEqual(21);
    await eastGw.stop();
    await westGw.stop();
    await sink.stop();
  }, 60_000);
});
