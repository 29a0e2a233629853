/**
 * Federation with real gateway processes: a federated Broker shared by east and west, interest
 * routing (only events some remote Trigger can match cross the link), peer authentication.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postEvent } from './support/gateway.js';
import { freePort } from './support/ports.js';
import { type SubscriberRequest, startMeshgate, startSubscriber } from './support/processes.js';

function gatewayConfig(
  id: string,
  peers: { id: string; url: string }[],
  triggers: string,
  federation = '',
): string {
  const dir = mkdtempSync(join(tmpdir(), `meshgate-${id}-`));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: ${id} }
spec: { id: ${id}${federation ? `, federation: ${federation}` : ''} }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: mesh
  annotations: { meshgate.io/federated: "true" }
${peers
  .map(
    (p) => `---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: ${p.id} }
spec:
  url: ${p.url}
  token: { valueFrom: { env: MESH_TOKEN } }
`,
  )
  .join('')}${triggers}`,
  );
  return file;
}

const trigger = (name: string, url: string, type: string) => `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name}, namespace: mesh }
spec:
  broker: default
  filter: { attributes: { type: ${type} } }
  subscriber: { uri: ${url} }
`;

async function peersOf(url: string) {
  return (await (await fetch(`${url}/api/v1/peers`)).json()) as {
    items: { id: string; interestKnown: boolean; counters: { forwarded: number; filteredOut: number } }[];
    received: Record<string, number>;
  };
}

/**
 * west (a Trigger on order.created to a subscriber) and east (no Trigger, `eastFederation` as its
 * Gateway spec.federation), linked both ways; resolved once east has learned west's interest.
 */
async function startEastWest(token: string, eastFederation = '') {
  const sink = await startSubscriber();
  const [eastPort, westPort] = [await freePort(), await freePort()];
  const east = `http://127.0.0.1:${eastPort}`;
  const west = `http://127.0.0.1:${westPort}`;
  const env = { MESH_TOKEN: token };
  const westConfig = gatewayConfig(
    'west',
    [{ id: 'east', url: east }],
    trigger('orders', sink.url, 'order.created'),
  );
  const eastConfig = gatewayConfig('east', [{ id: 'west', url: west }], '', eastFederation);
  const westGw = startMeshgate(['start', '-f', westConfig, '--port', String(westPort)], env);
  const eastGw = startMeshgate(['start', '-f', eastConfig, '--port', String(eastPort)], env);
  await westGw.waitFor(/meshgate started/);
  await eastGw.waitFor(/meshgate started/);
  // East learns west's interest from its announcement (events posted earlier would wait for it).
  await expect
    .poll(async () => (await peersOf(east)).items.find((p) => p.id === 'west')?.interestKnown, {
      timeout: 10_000,
    })
    .toBe(true);
  return { sink, east, west, eastGw, westGw };
}

describe('federation between gateway processes', () => {
  it('delivers events published at east to a matching Trigger at west; only those cross the link', async () => {
    const { sink, east, west, eastGw, westGw } = await startEastWest('shared-secret-1');

    for (let i = 0; i < 100; i++) {
      const type = i % 10 === 0 ? 'order.created' : 'page.viewed';
      expect((await postEvent(`${east}/mesh/default`, { type, id: `e${i}`, source: '/shop' })).status).toBe(
        202,
      );
    }
    await expect.poll(() => sink.requests().length, { timeout: 15_000 }).toBe(10);
    expect(new Set(sink.requests().map((r) => r.headers['ce-id'])).size).toBe(10);
    const counters = (await peersOf(east)).items.find((p) => p.id === 'west')?.counters;
    expect(counters?.forwarded).toBe(10);
    expect(counters?.filteredOut).toBe(90);
    const metrics = await (await fetch(`${east}/metrics`)).text();
    expect(metrics).toContain('meshgate_peer_events_total{peer="west",outcome="forwarded"} 10');
    expect(metrics).toContain('meshgate_peer_events_total{peer="west",outcome="filtered_out"} 90');

    // A request that claims to be a peer with a wrong token is refused with 401.
    const forged = await fetch(`${west}/mesh/default`, {
      method: 'POST',
      headers: {
        'meshgate-peer': 'east',
        authorization: 'Bearer wrong',
        'ce-specversion': '1.0',
        'ce-id': 'x',
        'ce-source': '/s',
        'ce-type': 'order.created',
      },
    });
    expect(forged.status).toBe(401);
    await eastGw.stop();
    await westGw.stop();
  });

  it('with interestRouting: false every event crosses the link; the Trigger beyond still filters', async () => {
    const { sink, east, eastGw, westGw } = await startEastWest(
      'shared-secret-2',
      '{ interestRouting: false, maxHops: 3 }',
    );
    for (let i = 0; i < 50; i++) {
      const type = i % 10 === 0 ? 'order.created' : 'page.viewed';
      expect((await postEvent(`${east}/mesh/default`, { type, id: `f${i}`, source: '/shop' })).status).toBe(
        202,
      );
    }
    await expect.poll(() => sink.requests().length, { timeout: 15_000 }).toBe(5);
    await expect
      .poll(async () => (await peersOf(east)).items.find((p) => p.id === 'west')?.counters, {
        timeout: 10_000,
      })
      .toMatchObject({ forwarded: 50, filteredOut: 0 });
    await eastGw.stop();
    await westGw.stop();
  });

  it('an event published before a peer has announced its interest waits for that announcement', async () => {
    const sink = await startSubscriber();
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const east = `http://127.0.0.1:${eastPort}`;
    const env = { MESH_TOKEN: 'early-secret' };
    const eastConfig = gatewayConfig('east', [{ id: 'west', url: `http://127.0.0.1:${westPort}` }], '');
    const eastGw = startMeshgate(['start', '-f', eastConfig, '--port', String(eastPort)], env);
    await eastGw.waitFor(/meshgate started/);
    // West is not running yet: east cannot know what it wants, so it must not decide "nothing".
    expect(
      (await postEvent(`${east}/mesh/default`, { type: 'order.created', id: 'early', source: '/shop' }))
        .status,
    ).toBe(202);
    const westConfig = gatewayConfig(
      'west',
      [{ id: 'east', url: east }],
      trigger('orders', sink.url, 'order.created'),
    );
    const westGw = startMeshgate(['start', '-f', westConfig, '--port', String(westPort)], env);
    await expect
      .poll(() => sink.requests().map((r) => r.headers['ce-id']), { timeout: 10_000 })
      .toEqual(['early']);
    expect((await peersOf(east)).items.find((p) => p.id === 'west')?.counters).toMatchObject({
      forwarded: 1,
      filteredOut: 0,
    });
    await eastGw.stop();
    await westGw.stop();
  });

  it('a peer silent for longer than peerInterestWait is taken to want nothing, and the log says so', async () => {
    const port = await freePort();
    const east = `http://127.0.0.1:${port}`;
    // The peer's address answers nothing: no gateway listens there.
    const config = gatewayConfig(
      'east',
      [{ id: 'west', url: `http://127.0.0.1:${await freePort()}` }],
      '',
      '{ peerInterestWait: PT1S }',
    );
    const gw = startMeshgate(['start', '-f', config, '--port', String(port)], {
      MESH_TOKEN: 'silent-secret',
    });
    await gw.waitFor(/meshgate started/);
    expect(
      (await postEvent(`${east}/mesh/default`, { type: 'order.created', id: 'late', source: '/shop' }))
        .status,
    ).toBe(202);
    await gw.waitFor(/peer west has not announced its interest within 1000 ms/, 10_000);
    await expect
      .poll(async () => (await peersOf(east)).items.find((p) => p.id === 'west')?.counters, {
        timeout: 10_000,
      })
      .toMatchObject({ forwarded: 0, filteredOut: 1 });
    await gw.stop();
  });

  it('batches what waits for a slow peer into CloudEvents batches, and loses nothing', async () => {
    // The peer is a plain HTTP server answering 202 after 50 ms. The test speaks for it: it
    // announces that gateway west, behind it, wants every event of the Broker.
    const peer = await startSubscriber(['--delay-ms', '50']);
    const port = await freePort();
    const east = `http://127.0.0.1:${port}`;
    const config = gatewayConfig('east', [{ id: 'west', url: `${peer.url}/mesh/default` }], '');
    const gw = startMeshgate(['start', '-f', config, '--port', String(port)], { MESH_TOKEN: 'batch-secret' });
    await gw.waitFor(/meshgate started/);
    const announced = await fetch(`${east}/_meshgate/v1/interest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'meshgate-peer': 'west',
        authorization: 'Bearer batch-secret',
      },
      body: JSON.stringify({
        protocol: 1,
        gatewayId: 'west',
        epoch: 'test',
        version: 1,
        brokers: [
          {
            namespace: 'mesh',
            name: 'default',
            gateways: [{ path: ['west'], acceptsAll: true, filters: [] }],
          },
        ],
      }),
    });
    expect(announced.status).toBeLessThan(300);

    // 200 events, 40 at a time: 4 requests in flight per link, so the rest queue and leave together.
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < 200) {
          const id = `b${next++}`;
          expect(
            (await postEvent(`${east}/mesh/default`, { type: 'order.created', id, source: '/shop' })).status,
          ).toBe(202);
        }
      }),
    );
    const isBatch = (r: SubscriberRequest) =>
      r.headers['content-type']?.startsWith('application/cloudevents-batch+json');
    const idsReceived = () =>
      peer
        .requests()
        .flatMap((r) =>
          isBatch(r)
            ? (JSON.parse(r.body.toString()) as { id: string }[]).map((e) => e.id)
            : (r.headers['ce-id'] ?? []),
        );
    await expect.poll(() => new Set(idsReceived()).size, { timeout: 15_000 }).toBe(200);
    const batches = peer.requests().filter(isBatch);
    expect(batches.length).toBeGreaterThan(0);
    // Every batch went to the Broker's path as the peer, like a single event.
    expect(
      batches.every(
        (r) => r.headers['meshgate-peer'] === 'east' && r.headers.authorization === 'Bearer batch-secret',
      ),
    ).toBe(true);
    expect(peer.requests().filter((r) => isBatch(r) || r.headers['ce-id'] !== undefined).length).toBeLessThan(
      200,
    );
    await gw.stop();
    await peer.stop();
  });
});
