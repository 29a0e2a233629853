/**
 * Two gateways in one process, each a real Router with a memory-channel Broker, federated with
 * FederationNode: the wiring the gateway package does over HTTP, done here with a sender that
 * calls the other side directly. A Trigger without filter whose subscriber is the forwarder
 * plays the forwarding subscription.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryClock } from '../delivery/deliver.js';
import type { AddressableSender, SendRequest, SendResponse } from '../delivery/sender.js';
import { NotConnectedError } from '../errors.js';
import { makeEvent, type MeshEvent } from '../event/mesh-event.js';
import type { TriggerDefinition } from '../router/definitions.js';
import { Router } from '../router/router.js';
import { FederationNode } from './node.js';
import { ROUTE_ATTRIBUTE, withoutTargets } from './route.js';

const NS = 'default';
const BROKER = 'orders';
const KEY = `${NS}/${BROKER}`;
const FORWARD_URL = 'federation:forward';
/** Generous: the whole suite may be running on two busy cores. */
const WAIT = { timeout: 15_000, interval: 20 };
const instant: DeliveryClock = { now: () => 0, sleep: async () => {} };

interface Gateway {
  id: string;
  router: Router;
  node: FederationNode;
  /** Events each local subscriber got, by subscriber host. */
  sinks: Map<string, MeshEvent[]>;
  /** When set, the peer endpoint ingests the event but answers 503 (an answer lost on the way). */
  loseAnswers: number;
  /** When true, the peer endpoint is unreachable. */
  down: boolean;
}

const gateways = new Map<string, Gateway>();

afterEach(async () => {
  for (const g of gateways.values()) await g.router.close();
  gateways.clear();
});

/** The peer endpoint: what the gateway's `POST <peer-url>/<ns>/<broker>` handler does. */
async function peerEndpoint(to: Gateway, key: string, event: MeshEvent): Promise<number> {
  if (to.down) throw new NotConnectedError(`connect ECONNREFUSED ${to.id}`);
  const verdict = to.node.admit(key, event);
  if (verdict === 'not-federated') return 404;
  if (verdict !== 'accept') return 202;
  try {
    await to.router.ingest(NS, BROKER, [event]);
  } catch {
    to.node.release(key, event);
    return 503;
  }
  if (to.loseAnswers > 0) {
    to.loseAnswers--;
    return 503;
  }
  return 202;
}

function senderFor(id: string): AddressableSender {
  return {
    async send(req: SendRequest): Promise<SendResponse> {
      const self = gateways.get(id) as Gateway;
      const ok = (status: number): SendResponse => ({ status, headers: {} });
      if (req.url === FORWARD_URL) {
        const result = await self.node.forward(KEY, req.event);
        return ok(result.ok ? 202 : result.retriable ? 503 : 400);
      }
      const url = new URL(req.url);
      if (url.hostname.endsWith('.peer')) {
        const to = gateways.get(url.hostname.replace(/\.peer$/, '')) as Gateway;
        expect(req.headers?.authorization).toBe('Bearer shared-secret');
        return ok(await peerEndpoint(to, decodeURIComponent(url.pathname.slice(1)), req.event));
      }
      const sink = url.hostname.split('.')[0] as string;
      const list = self.sinks.get(sink) ?? [];
      list.push(req.event);
      self.sinks.set(sink, list);
      return ok(202);
    },
  };
}

async function gateway(id: string, peers: string[], triggers: Array<{ name: string; type?: string }>) {
  const node = new FederationNode({
    gatewayId: id,
    sender: senderFor(id),
    policy: { retry: 5, backoffPolicy: 'linear', backoffDelayMs: 1 },
    clock: instant,
    peers: peers.map((p) => ({ id: p, url: `http://${p}.peer`, token: 'shared-secret' })),
  });
  const g: Gateway = {
    id,
    router: new Router({ sender: senderFor(id) }),
    node,
    sinks: new Map(),
    loseAnswers: 0,
    down: false,
  };
  gateways.set(id, g);
  const defs: TriggerDefinition[] = triggers.map((t) => ({
    namespace: NS,
    name: t.name,
    broker: BROKER,
    filter: t.type === undefined ? {} : { filter: { attributes: { type: t.type } } },
    subscriberUrl: `http://${t.name}.${id}/`,
  }));
  node.table.setLocalInterest([{ namespace: NS, name: BROKER, filters: defs.map((d) => d.filter) }]);
  await g.router.reconcile({
    brokers: [{ namespace: NS, name: BROKER, channel: { kind: 'memory' } }],
    triggers: [
      ...defs,
      // The forwarding subscription: every event of the Broker, to the forwarder.
      {
        namespace: NS,
        name: 'federation-forward',
        broker: BROKER,
        filter: {},
        subscriberUrl: FORWARD_URL,
        delivery: { retry: 50, backoffPolicy: 'linear', backoffDelay: 'PT0.01S' },
      },
    ],
  });
  return g;
}

function announceAll(): void {
  for (let round = 0; round < 3; round++) {
    for (const from of gateways.values()) {
      for (const peer of Object.keys(from.node.forwarder.allCounters())) {
        const to = gateways.get(peer) as Gateway;
        to.node.table.applyAnnouncement(
          JSON.parse(JSON.stringify(from.node.table.buildAnnouncement(peer))),
          from.id,
        );
      }
    }
  }
}

const order = (i: number, type: string) =>
  makeEvent({ specversion: '1.0', id: `order-${i}`, source: '/shop', type }, `{"n":${i}}`);

describe('federation wired to the Router', () => {
  it('publish at east, a filtered Trigger at west gets each matching event once; only those cross', async () => {
    const east = await gateway('east', ['west'], [{ name: 'audit' }]);
    const west = await gateway('west', ['east'], [{ name: 'display', type: 'order.created' }]);
    announceAll();
    // Every answer from west is lost once: east retries, west drops the repeat.
    west.loseAnswers = 1_000;

    for (let i = 0; i < 100; i++) {
      await east.router.ingest(NS, BROKER, [
        withoutTargets(order(i, i % 10 === 0 ? 'order.created' : 'order.paid')),
      ]);
    }
    await vi.waitFor(() => {
      expect(east.sinks.get('audit')?.length).toBe(100);
      expect(west.sinks.get('display')?.length).toBe(10);
      expect(east.node.forwarder.counters('west').forwarded).toBe(10);
    }, WAIT);
    const display = west.sinks.get('display') ?? [];
    expect(new Set(display.map((e) => e.attributes.id)).size).toBe(10);
    expect(display.every((e) => e.attributes[ROUTE_ATTRIBUTE] === 'east')).toBe(true);
    expect(east.node.forwarder.counters('west')).toMatchObject({ filteredOut: 90, failed: 0 });
    expect(west.node.received).toMatchObject({ accept: 10, duplicate: 10, loop: 0 });
    // Nothing came back: west's forwarding subscription saw the copies and sent them nowhere.
    expect(west.node.forwarder.counters('east')).toMatchObject({ forwarded: 0 });
  });

  it('events wait while the peer is unreachable and flow when the link is back', async () => {
    const east = await gateway('east', ['west'], []);
    const west = await gateway('west', ['east'], [{ name: 'display' }]);
    announceAll();
    west.down = true;
    for (let i = 0; i < 20; i++) await east.router.ingest(NS, BROKER, [order(i, 'order.created')]);
    await vi.waitFor(() => expect(east.node.forwarder.counters('west').failed).toBeGreaterThan(0), WAIT);
    expect(west.sinks.get('display')).toBeUndefined();
    west.down = false;
    await vi.waitFor(() => expect(west.sinks.get('display')?.length).toBe(20), WAIT);
    expect(new Set(west.sinks.get('display')?.map((e) => e.attributes.id)).size).toBe(20);
  });

  it('a chain east - hub - west delivers through a gateway that has no Trigger of its own', async () => {
    const east = await gateway('east', ['hub'], []);
    await gateway('hub', ['east', 'west'], []);
    const west = await gateway('west', ['hub'], [{ name: 'display', type: 'order.created' }]);
    announceAll();
    for (let i = 0; i < 20; i++) await east.router.ingest(NS, BROKER, [order(i, 'order.created')]);
    await vi.waitFor(() => expect(west.sinks.get('display')?.length).toBe(20), WAIT);
    expect(west.sinks.get('display')?.[0]?.attributes[ROUTE_ATTRIBUTE]).toBe('east,hub');
  });
});
