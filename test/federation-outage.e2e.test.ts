/**
 * A peer link outage with real gateway processes: west is stopped (SIGSTOP: its socket still
 * accepts connections, nothing answers, like a partition) for 15 s in the middle of a stream of
 * 2,000 events published at east, then continued. The few copies in flight on the link (4
 * requests) time out (10 s) and are retried; what east publishes meanwhile waits, then crosses in
 * batches. Every event arrives and west's Trigger gets each once; a copy sent again after west
 * accepted it is dropped by west's dedup window (verdict `duplicate`).
 *
 * The second test kills west (SIGKILL) and starts it again: every event published while west was
 * down waited in east's channel and arrives once west is back. (West's own memory channel loses
 * what it held when killed, as documented; a durable channel at west would keep that too.)
 *
 * The third restarts east itself, its Broker on RabbitMQ, with events waiting for west in that
 * channel: after the restart east knows nothing of west's interest until west announces again,
 * and must hold the backlog until then rather than count it as "filtered out".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postEvent } from './support/gateway.js';
import { freePort } from './support/ports.js';
import { startMeshgate, startSubscriber } from './support/processes.js';
import { services, uniqueName } from './support/services.js';

const TOKEN = 'outage-shared-token';
const TOTAL = 2_000;
const OUTAGE_MS = 15_000;

/** East's config; with `rabbitChannel` its Broker keeps its events in that RabbitMQ exchange. */
function eastYaml(westUrl: string, rabbitChannel?: string): string {
  return `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: east }
spec: { id: east }
---
${
  rabbitChannel === undefined
    ? ''
    : `apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: rabbit, namespace: mesh }
spec: { rabbitmq: { url: { valueFrom: { env: RABBITMQ_URL } } } }
---
`
}apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: mesh
  annotations: { meshgate.io/federated: "true"${rabbitChannel === undefined ? '' : `, meshgate.io/channel-topic: ${rabbitChannel}`} }
${rabbitChannel === undefined ? '' : 'spec: { config: { apiVersion: meshgate.io/v1alpha1, kind: Connection, name: rabbit } }\n'}---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: west, namespace: mesh }
spec: { url: "${westUrl}", token: "${TOKEN}" }
`;
}

function westYaml(eastUrl: string, sinkUrl: string): string {
  return `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: west }
spec: { id: west }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: mesh
  annotations: { meshgate.io/federated: "true" }
---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: east, namespace: mesh }
spec: { url: "${eastUrl}", token: "${TOKEN}" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orders, namespace: mesh }
spec:
  broker: default
  filter: { attributes: { type: order.created } }
  subscriber: { uri: "${sinkUrl}" }
`;
}

function configFile(id: string, yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), `meshgate-${id}-`)), 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('federation link outage (gateway processes)', () => {
  it(`west stopped for ${OUTAGE_MS / 1000} s mid-stream of ${TOTAL} events: all arrive, repeats dropped`, async () => {
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const east = `http://127.0.0.1:${eastPort}`;
    const west = `http://127.0.0.1:${westPort}`;
    const sink = await startSubscriber();
    const westGw = startMeshgate([
      'start',
      '-f',
      configFile('west', westYaml(east, sink.url)),
      '--port',
      String(westPort),
    ]);
    const eastGw = startMeshgate([
      'start',
      '-f',
      configFile('east', eastYaml(west)),
      '--port',
      String(eastPort),
    ]);
    await westGw.waitFor(/meshgate started/, 30_000);
    await eastGw.waitFor(/meshgate started/, 30_000);
    await new Promise((r) => setTimeout(r, 2_500));

    // The stream: ~100 events/s, so the outage falls in its middle.
    let published = 0;
    let outageStartedAt = 0;
    const stream = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        const { status, body } = await postEvent(`${east}/mesh/default`, {
          type: 'order.created',
          id: `o-${i}`,
          source: '/outage',
        });
        if (status !== 202) throw new Error(`o-${i}: east answered ${status} ${body}`);
        published++;
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await expect.poll(() => published, { timeout: 20_000 }).toBeGreaterThanOrEqual(TOTAL / 4);
    outageStartedAt = published;
    westGw.child.kill('SIGSTOP');
    // Deliveries west had sent just before it stopped may reach the sink's log a moment later.
    await new Promise((r) => setTimeout(r, 500));
    const deliveredBefore = sink.requests().length;
    await new Promise((r) => setTimeout(r, OUTAGE_MS - 500));
    const duringOutage = sink.requests().length - deliveredBefore;
    westGw.child.kill('SIGCONT');
    await stream;

    const distinct = () => new Set(sink.requests().map((r) => r.headers['ce-id'])).size;
    // Counts are reported whether or not everything arrived.
    await expect
      .poll(distinct, { timeout: 40_000, interval: 500 })
      .toBe(TOTAL)
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000));
    const deliveries = sink.requests().length;
    const westPeers = (await (await fetch(`${west}/api/v1/peers`)).json()) as {
      received: Record<string, number>;
    };
    const eastPeers = (await (await fetch(`${east}/api/v1/peers`)).json()) as {
      items: { id: string; counters: Record<string, number> }[];
    };
    console.info('link outage:', {
      published: TOTAL,
      westStoppedAfter: outageStartedAt,
      outageMs: OUTAGE_MS,
      deliveredWhileWestWasDown: duringOutage,
      distinctDelivered: distinct(),
      deliveries,
      repeatedDeliveries: deliveries - distinct(),
      westReceived: westPeers.received,
      eastLinkCounters: eastPeers.items.find((p) => p.id === 'west')?.counters,
    });
    expect(duringOutage).toBe(0);
    expect(distinct()).toBe(TOTAL);
    // West accepted each event once (repeats of timed-out copies, if any, were dropped); its
    // Trigger saw each event once.
    expect(westPeers.received.accept).toBe(TOTAL);
    expect(deliveries).toBe(TOTAL);

    // A copy east sends again after west accepted it (its answer lost) is dropped, not delivered.
    const again = await fetch(`${west}/mesh/default`, {
      method: 'POST',
      headers: {
        'meshgate-peer': 'east',
        authorization: `Bearer ${TOKEN}`,
        'ce-specversion': '1.0',
        'ce-id': 'o-0',
        'ce-source': '/outage',
        'ce-type': 'order.created',
        'content-type': 'application/json',
      },
      body: '{"hello":"world"}',
    });
    expect(again.status).toBe(202);
    const westAfter = (await (await fetch(`${west}/api/v1/peers`)).json()) as {
      received: Record<string, number>;
    };
    expect(westAfter.received.duplicate).toBe((westPeers.received.duplicate ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.requests().length).toBe(TOTAL);
    await eastGw.stop();
    await westGw.stop();
  }, 90_000);

  it('west killed and restarted: events published while it was down wait at east and all arrive', async () => {
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const east = `http://127.0.0.1:${eastPort}`;
    const sink = await startSubscriber();
    const westFile = configFile('west', westYaml(east, sink.url));
    const westArgs = ['start', '-f', westFile, '--port', String(westPort)];
    let westGw = startMeshgate(westArgs);
    const eastGw = startMeshgate([
      'start',
      '-f',
      configFile('east', eastYaml(`http://127.0.0.1:${westPort}`)),
      '--port',
      String(eastPort),
    ]);
    await westGw.waitFor(/meshgate started/, 30_000);
    await eastGw.waitFor(/meshgate started/, 30_000);
    await new Promise((r) => setTimeout(r, 2_500));

    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const { status } = await postEvent(`${east}/mesh/default`, {
          type: 'order.created',
          id: `r-${i}`,
          source: '/restart',
        });
        expect(status).toBe(202);
      }
    };
    await publish(0, 100);
    await expect.poll(() => sink.requests().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(100);
    await westGw.stop('SIGKILL');
    await publish(100, 400); // west is down: these wait in east's channel
    westGw = startMeshgate(westArgs);
    await westGw.waitFor(/meshgate started/, 30_000);
    const ids = () => new Set(sink.requests().map((r) => r.headers['ce-id']));
    await expect
      .poll(() => [...ids()].filter((id) => Number(String(id).slice(2)) >= 100).length, {
        timeout: 40_000,
        interval: 500,
      })
      .toBe(300);
    console.info('restart outage:', {
      publishedWhileDown: 300,
      distinctDelivered: ids().size,
      deliveries: sink.requests().length,
    });
    await eastGw.stop();
    await westGw.stop();
  });

  it('east restarted with a backlog for west in its RabbitMQ channel: it waits for west to announce, then sends it all', async () => {
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const east = `http://127.0.0.1:${eastPort}`;
    const sink = await startSubscriber();
    const westArgs = [
      'start',
      '-f',
      configFile('west', westYaml(east, sink.url)),
      '--port',
      String(westPort),
    ];
    const eastArgs = [
      'start',
      '-f',
      configFile('east', eastYaml(`http://127.0.0.1:${westPort}`, uniqueName('meshgate.east'))),
      '--port',
      String(eastPort),
    ];
    const eastEnv = { RABBITMQ_URL: services.rabbitmqUrl() };
    let westGw = startMeshgate(westArgs);
    let eastGw = startMeshgate(eastArgs, eastEnv);
    await westGw.waitFor(/meshgate started/, 30_000);
    await eastGw.waitFor(/meshgate started/, 30_000);
    const westKnown = async () => {
      const peers = (await (await fetch(`${east}/api/v1/peers`)).json()) as {
        items: { id: string; interestKnown: boolean }[];
      };
      return peers.items.find((p) => p.id === 'west')?.interestKnown;
    };
    await expect.poll(westKnown, { timeout: 10_000 }).toBe(true);

    await westGw.stop('SIGKILL');
    for (let i = 0; i < 50; i++) {
      const { status } = await postEvent(`${east}/mesh/default`, {
        type: 'order.created',
        id: `k-${i}`,
        source: '/east-restart',
      });
      expect(status).toBe(202);
    }
    // East has tried west and is holding the events in RabbitMQ; now east restarts, then west.
    await new Promise((r) => setTimeout(r, 500));
    await eastGw.stop();
    eastGw = startMeshgate(eastArgs, eastEnv);
    await eastGw.waitFor(/meshgate started/, 30_000);
    expect(await westKnown()).toBe(false);
    westGw = startMeshgate(westArgs);
    await westGw.waitFor(/meshgate started/, 30_000);
    const ids = () => new Set(sink.requests().map((r) => r.headers['ce-id']));
    await expect.poll(() => ids().size, { timeout: 20_000, interval: 250 }).toBe(50);
    await eastGw.stop();
    await westGw.stop();
  });
});
