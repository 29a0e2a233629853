/**
 * Gateways simulated in memory: each FederationNode's sender calls the other node's peer
 * endpoint logic (admit, then ingest into its Broker), and every node forwards what its Broker
 * holds. No network; the point is the routing logic on whole peer graphs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeliveryPolicy } from '../delivery/policy.js';
import type { AddressableSender, SendRequest, SendResponse } from '../delivery/sender.js';
import { makeEvent, type MeshEvent } from '../event/mesh-event.js';
import { compileFilter } from '../filter/compile.js';
import type { CompiledFilter, TriggerFilterSpec } from '../filter/types.js';
import { FederationNode } from './node.js';
import { ROUTE_ATTRIBUTE } from './route.js';

const KEY = 'default/orders';
const policy: DeliveryPolicy = { retry: 0, backoffPolicy: 'linear', backoffDelayMs: 0 };
const typeIs = (type: string): TriggerFilterSpec => ({ filter: { attributes: { type } } });

interface SimGateway {
  readonly id: string;
  readonly node: FederationNode;
  readonly triggers: CompiledFilter[];
  /** The Broker's channel: events waiting for local Triggers and for the forwarder. */
  readonly channel: MeshEvent[];
  /** Event id → how many times a local Trigger got it. */
  readonly delivered: Map<string, number>;
  /** Event id → how many times this gateway ran the forwarder on it. */
  readonly forwardedEvents: Map<string, number>;
}

class Mesh {
  readonly gateways = new Map<string, SimGateway>();
  /** `from>to` → event id → copies sent over that link. */
  readonly crossings = new Map<string, Map<string, number>>();
  readonly unroutable: string[] = [];
  readonly failures: string[] = [];

  constructor(
    edges: ReadonlyArray<readonly [string, string]>,
    interest: Record<string, TriggerFilterSpec[]>,
    ids: readonly string[] = Object.keys(interest),
  ) {
    const peersOf = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const [a, b] of edges) {
      peersOf.get(a)?.push(b);
      peersOf.get(b)?.push(a);
    }
    for (const id of ids) {
      const filters = interest[id] ?? [];
      const node = new FederationNode({
        gatewayId: id,
        sender: this.#senderFor(id),
        policy,
        peers: (peersOf.get(id) ?? []).map((p) => ({ id: p, url: `http://${p}.peer`, token: `to-${p}` })),
      });
      node.table.setLocalInterest([{ namespace: 'default', name: 'orders', filters }]);
      this.gateways.set(id, {
        id,
        node,
        triggers: filters.map((f) => compileFilter(f)),
        channel: [],
        delivered: new Map(),
        forwardedEvents: new Map(),
      });
    }
    this.edges = edges;
  }

  readonly edges: ReadonlyArray<readonly [string, string]>;

  /** Exchanges announcements over every link, both ways, until nothing changes; returns the rounds. */
  converge(maxRounds = 20): number {
    for (let round = 1; round <= maxRounds; round++) {
      let changed = false;
      for (const [a, b] of this.edges) {
        for (const [from, to] of [
          [a, b],
          [b, a],
        ] as const) {
          const ann = this.gw(from).node.table.buildAnnouncement(to);
          const wire = JSON.parse(JSON.stringify(ann)) as unknown;
          if (this.gw(to).node.table.applyAnnouncement(wire, from).changed) changed = true;
        }
      }
      if (!changed) return round;
    }
    throw new Error('announcements did not converge');
  }

  gw(id: string): SimGateway {
    const g = this.gateways.get(id);
    if (g === undefined) throw new Error(`no gateway ${id}`);
    return g;
  }

  /** HTTP ingress of a Broker at one gateway. */
  publish(at: string, event: MeshEvent): void {
    this.gw(at).channel.push(event);
  }

  /** Runs every gateway's Triggers and forwarder until all channels are empty. */
  async settle(): Promise<void> {
    for (;;) {
      let idle = true;
      for (const g of this.gateways.values()) {
        const event = g.channel.shift();
        if (event === undefined) continue;
        idle = false;
        const id = String(event.attributes.id);
        if (g.triggers.some((t) => t.matches(event))) g.delivered.set(id, (g.delivered.get(id) ?? 0) + 1);
        g.forwardedEvents.set(id, (g.forwardedEvents.get(id) ?? 0) + 1);
        const result = await g.node.forward(KEY, event);
        if (!result.ok) this.failures.push(`${g.id}: ${JSON.stringify(result.deliveries)}`);
        this.unroutable.push(...result.unroutable.map((u) => `${g.id}->${u}`));
      }
      if (idle) return;
    }
  }

  #senderFor(from: string): AddressableSender {
    return {
      send: async (req: SendRequest): Promise<SendResponse> => {
        const url = new URL(req.url);
        const to = url.hostname.replace(/\.peer$/, '');
        expect(req.headers?.authorization).toBe(`Bearer to-${to}`);
        const link = `${from}>${to}`;
        const byEvent = this.crossings.get(link) ?? new Map<string, number>();
        this.crossings.set(link, byEvent);
        const id = String(req.event.attributes.id);
        byEvent.set(id, (byEvent.get(id) ?? 0) + 1);

        const target = this.gw(to);
        const key = decodeURIComponent(url.pathname.slice(1));
        const verdict = target.node.admit(key, req.event);
        if (verdict === 'accept') target.channel.push(req.event);
        return { status: verdict === 'not-federated' ? 404 : 202, headers: {} };
      },
    };
  }

  /** Copies of one event sent over all links. */
  copiesOf(id: string): number {
    let n = 0;
    for (const byEvent of this.crossings.values()) n += byEvent.get(id) ?? 0;
    return n;
  }

  maxCopiesPerLink(): number {
    let max = 0;
    for (const byEvent of this.crossings.values()) for (const n of byEvent.values()) max = Math.max(max, n);
    return max;
  }

  received(verdict: 'duplicate' | 'loop' | 'hop-limit' | 'not-federated'): number {
    let n = 0;
    for (const g of this.gateways.values()) n += g.node.received[verdict];
    return n;
  }
}

const ev = (id: string, type: string): MeshEvent =>
  makeEvent({ specversion: '1.0', id, source: '/test', type }, `{"id":${JSON.stringify(id)}}`);

describe('federation on whole peer graphs', () => {
  it('triangle with links both ways: 1,000 events reach every interested gateway once, nothing loops', async () => {
    const mesh = new Mesh(
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
      ],
      { a: [typeIs('t0')], b: [typeIs('t0'), typeIs('t1')], c: [{ filters: [{ prefix: { type: 't' } }] }] },
    );
    mesh.converge();
    for (let i = 0; i < 1_000; i++) mesh.publish('a', ev(String(i), `t${i % 3}`));
    await mesh.settle();

    for (let i = 0; i < 1_000; i++) {
      const id = String(i);
      const type = i % 3;
      expect(mesh.gw('a').delivered.get(id)).toBe(type === 0 ? 1 : undefined);
      expect(mesh.gw('b').delivered.get(id)).toBe(type <= 1 ? 1 : undefined);
      expect(mesh.gw('c').delivered.get(id)).toBe(1);
      // a sends each event straight to each interested peer, and to nobody else.
      expect(mesh.copiesOf(id)).toBe(type <= 1 ? 2 : 1);
    }
    expect(mesh.maxCopiesPerLink()).toBe(1);
    expect(mesh.crossings.has('b>c') || mesh.crossings.has('c>b')).toBe(false);
    expect(mesh.received('duplicate') + mesh.received('loop') + mesh.received('hop-limit')).toBe(0);
    expect(mesh.unroutable).toEqual([]);
    expect(mesh.failures).toEqual([]);
    expect(mesh.gw('a').node.forwarder.counters('b')).toMatchObject({ forwarded: 667, filteredOut: 333 });
  });

  it('chain: events travel through a gateway without interest of its own, in both directions', async () => {
    const mesh = new Mesh(
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
      ],
      { a: [typeIs('west')], b: [], c: [], d: [typeIs('east')] },
    );
    mesh.converge();
    mesh.publish('a', ev('1', 'east'));
    mesh.publish('d', ev('2', 'west'));
    mesh.publish('b', ev('3', 'nobody'));
    await mesh.settle();
    expect(mesh.gw('d').delivered.get('1')).toBe(1);
    expect(mesh.gw('a').delivered.get('2')).toBe(1);
    expect(mesh.copiesOf('1')).toBe(3);
    expect(mesh.copiesOf('2')).toBe(3);
    expect(mesh.copiesOf('3')).toBe(0);
    expect(mesh.gw('b').forwardedEvents.get('1')).toBe(1);
    // The copy that reached d carries the whole route.
    expect(mesh.received('duplicate') + mesh.received('loop')).toBe(0);
  });

  it('star: the hub fans out to the interested leaves only', async () => {
    const leaves = ['l1', 'l2', 'l3', 'l4'];
    const mesh = new Mesh(
      leaves.map((l) => ['hub', l] as const),
      { hub: [], l1: [typeIs('x')], l2: [typeIs('x')], l3: [typeIs('y')], l4: [] },
    );
    mesh.converge();
    mesh.publish('l1', ev('1', 'x'));
    mesh.publish('l4', ev('2', 'y'));
    await mesh.settle();
    expect(mesh.gw('l2').delivered.get('1')).toBe(1);
    expect(mesh.gw('l1').delivered.get('1')).toBe(1); // its own Trigger, locally
    expect(mesh.gw('l3').delivered.get('2')).toBe(1);
    expect([...mesh.crossings.keys()].sort()).toEqual(['hub>l2', 'hub>l3', 'l1>hub', 'l4>hub']);
    expect(mesh.gw('hub').node.forwarder.counters('l4')).toMatchObject({
      forwarded: 0,
      filteredOut: 2,
      looped: 0,
    });
    expect(mesh.gw('hub').node.forwarder.counters('l2')).toMatchObject({ forwarded: 1, filteredOut: 1 });
  });

  it('tables that disagree still never loop: a stale route is refused by the event route', async () => {
    // Converged, then a and b both forget what c told them: a still reaches c through b (b>c,
    // learned from b), b only through a (a>c, learned from a). A copy for c would bounce a>b>a.
    const mesh = new Mesh(
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
      ],
      { a: [{}], b: [{}], c: [{}] },
    );
    mesh.converge();
    mesh.gw('a').node.table.removePeer('c');
    mesh.gw('b').node.table.removePeer('c');
    for (let i = 0; i < 50; i++) mesh.publish('a', ev(String(i), 't'));
    await mesh.settle();
    for (let i = 0; i < 50; i++) expect(mesh.gw('b').delivered.get(String(i))).toBe(1);
    expect(mesh.maxCopiesPerLink()).toBe(1);
    expect(mesh.crossings.has('b>a')).toBe(false);
    expect(mesh.received('loop') + mesh.received('duplicate')).toBe(0);
    // b cannot reach c without going back through a: it says so instead of looping.
    expect(new Set(mesh.unroutable)).toEqual(new Set(['b->c']));
    expect(mesh.gw('b').node.forwarder.counters('a')).toMatchObject({ looped: 50, forwarded: 0 });
    // Once the tables agree again, c gets everything.
    mesh.converge();
    for (let i = 50; i < 60; i++) mesh.publish('a', ev(String(i), 't'));
    await mesh.settle();
    for (let i = 50; i < 60; i++) expect(mesh.gw('c').delivered.get(String(i))).toBe(1);
  });

  it('property: on any connected graph of up to 6 gateways, each interested gateway gets each event, no gateway forwards an event twice', async () => {
    const types = ['t0', 't1', 't2', 't3'];
    const graph = fc.integer({ min: 2, max: 6 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        // A random spanning tree keeps the graph connected; extra links add cycles.
        parents: fc.tuple(...Array.from({ length: n - 1 }, (_, i) => fc.integer({ min: 0, max: i }))),
        extra: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), {
          maxLength: 8,
        }),
        interest: fc.array(
          fc.oneof(
            fc.constant<TriggerFilterSpec[] | 'all'>('all'),
            fc.subarray(types).map((ts) => ts.map(typeIs)),
          ),
          { minLength: n, maxLength: n },
        ),
        events: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constantFrom(...types)), {
          minLength: 1,
          maxLength: 15,
        }),
      }),
    );

    await fc.assert(
      fc.asyncProperty(graph, async ({ n, parents, extra, interest, events }) => {
        const ids = Array.from({ length: n }, (_, i) => `g${i}`);
        const edgeSet = new Set<string>();
        const edges: Array<readonly [string, string]> = [];
        const link = (x: number, y: number) => {
          if (x === y) return;
          const k = x < y ? `${x}-${y}` : `${y}-${x}`;
          if (edgeSet.has(k)) return;
          edgeSet.add(k);
          edges.push([ids[x] as string, ids[y] as string]);
        };
        parents.forEach((p, i) => {
          link(i + 1, p);
        });
        for (const [x, y] of extra) link(x, y);
        const specs: Record<string, TriggerFilterSpec[]> = {};
        ids.forEach((id, i) => {
          const spec = interest[i];
          specs[id] = spec === 'all' ? [{}] : (spec ?? []);
        });

        const mesh = new Mesh(edges, specs, ids);
        mesh.converge();
        events.forEach(([origin, type], i) => {
          mesh.publish(ids[origin] as string, ev(`e${i}`, type));
        });
        await mesh.settle();

        events.forEach(([, type], i) => {
          const id = `e${i}`;
          const probe = ev(id, type);
          for (const g of mesh.gateways.values()) {
            const interested = g.triggers.some((t) => t.matches(probe));
            expect(g.delivered.get(id) ?? 0).toBe(interested ? 1 : 0);
            expect(g.forwardedEvents.get(id) ?? 0).toBeLessThanOrEqual(1);
          }
        });
        expect(mesh.maxCopiesPerLink()).toBeLessThanOrEqual(1);
        expect(mesh.received('loop') + mesh.received('hop-limit') + mesh.received('not-federated')).toBe(0);
        // Converged tables agree, so the copies of an event form a tree: no gateway gets one twice.
        expect(mesh.received('duplicate')).toBe(0);
        expect(mesh.unroutable).toEqual([]);
        expect(mesh.failures).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('property: whatever the tables say (some forgotten), nothing loops and no link carries an event twice', async () => {
    const types = ['t0', 't1'];
    const graph = fc.integer({ min: 3, max: 6 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        parents: fc.tuple(...Array.from({ length: n - 1 }, (_, i) => fc.integer({ min: 0, max: i }))),
        extra: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), {
          maxLength: 8,
        }),
        // Which (gateway, peer) pairs forget what they learned after convergence.
        forget: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), {
          maxLength: 6,
        }),
        events: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constantFrom(...types)), {
          minLength: 1,
          maxLength: 10,
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(graph, async ({ n, parents, extra, forget, events }) => {
        const ids = Array.from({ length: n }, (_, i) => `g${i}`);
        const edges = new Map<string, readonly [string, string]>();
        const link = (x: number, y: number) => {
          if (x !== y) edges.set(x < y ? `${x}-${y}` : `${y}-${x}`, [ids[x] as string, ids[y] as string]);
        };
        parents.forEach((p, i) => {
          link(i + 1, p);
        });
        for (const [x, y] of extra) link(x, y);
        const specs = Object.fromEntries(ids.map((id, i) => [id, [typeIs(types[i % 2] as string)]]));
        const mesh = new Mesh([...edges.values()], specs, ids);
        mesh.converge();
        for (const [g, p] of forget) mesh.gw(ids[g] as string).node.table.removePeer(ids[p] as string);
        events.forEach(([origin, type], i) => {
          mesh.publish(ids[origin] as string, ev(`e${i}`, type));
        });
        await mesh.settle();
        for (const g of mesh.gateways.values()) {
          for (const count of g.forwardedEvents.values()) expect(count).toBe(1);
          for (const count of g.delivered.values()) expect(count).toBe(1);
        }
        expect(mesh.maxCopiesPerLink()).toBeLessThanOrEqual(1);
        expect(mesh.received('loop') + mesh.received('hop-limit')).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('the route on a delivered copy names every gateway it crossed', async () => {
    const mesh = new Mesh(
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
      { a: [], b: [], c: [typeIs('t')] },
    );
    mesh.converge();
    const seen: MeshEvent[] = [];
    const c = mesh.gw('c');
    const original = c.channel.push.bind(c.channel);
    c.channel.push = (...items: MeshEvent[]) => {
      seen.push(...items);
      return original(...items);
    };
    mesh.publish('a', ev('1', 't'));
    await mesh.settle();
    expect(seen.map((e) => e.attributes[ROUTE_ATTRIBUTE])).toEqual(['a,b']);
  });
});
