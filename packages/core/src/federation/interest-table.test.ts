import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { makeEvent, type MeshEvent } from '../event/mesh-event.js';
import type { TriggerFilterSpec } from '../filter/types.js';
import { InvalidAnnouncementError } from './announcement.js';
import { InterestTable } from './interest-table.js';
import { recordHop, withTargets } from './route.js';

const KEY = 'default/orders';
const typeIs = (type: string): TriggerFilterSpec => ({ filter: { attributes: { type } } });
const ev = (type: string, id = '1'): MeshEvent => makeEvent({ specversion: '1.0', id, source: '/s', type });

function table(id: string, filters: TriggerFilterSpec[] = []): InterestTable {
  const t = new InterestTable({ gatewayId: id, epoch: `${id}-epoch` });
  t.setLocalInterest([{ namespace: 'default', name: 'orders', filters }]);
  return t;
}

/** Sends `from`'s announcement to `to` (through JSON, as on the wire). */
function announce(from: InterestTable, to: InterestTable) {
  return to.applyAnnouncement(
    JSON.parse(JSON.stringify(from.buildAnnouncement(to.gatewayId))),
    from.gatewayId,
  );
}

function paths(t: InterestTable): string[] {
  return t
    .routesFor(KEY)
    .map((r) => r.path.join('>'))
    .sort();
}

describe('InterestTable', () => {
  it('announces its own filters once each, and acceptsAll for a Trigger without filter', () => {
    const a = table('a', [typeIs('x'), typeIs('x'), typeIs('y')]);
    const ann = a.buildAnnouncement('b');
    expect(ann).toMatchObject({ gatewayId: 'a', epoch: 'a-epoch', version: 1 });
    expect(ann.brokers).toEqual([
      {
        namespace: 'default',
        name: 'orders',
        gateways: [{ path: ['a'], filters: [typeIs('x'), typeIs('y')] }],
      },
    ]);
    expect(a.buildAnnouncement('b').version).toBe(2);

    a.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [typeIs('x'), {}] }]);
    expect(a.buildAnnouncement('b').brokers[0]?.gateways).toEqual([
      { path: ['a'], acceptsAll: true, filters: [] },
    ]);
  });

  it('announces acceptsAll beyond the filter limit, and nothing for a Broker without interest', () => {
    const t = new InterestTable({ gatewayId: 'a', maxAnnouncedFilters: 2 });
    t.setLocalInterest([
      { namespace: 'default', name: 'orders', filters: [typeIs('1'), typeIs('2'), typeIs('3')] },
      { namespace: 'default', name: 'quiet', filters: [] },
    ]);
    const ann = t.buildAnnouncement('b');
    expect(ann.brokers).toHaveLength(1);
    expect(ann.brokers[0]?.gateways[0]).toEqual({ path: ['a'], acceptsAll: true, filters: [] });
  });

  it('says whether local interest changed, and refuses a bad filter with its path', () => {
    const t = table('a', [typeIs('x')]);
    expect(t.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [typeIs('x')] }])).toBe(
      false,
    );
    expect(t.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [typeIs('y')] }])).toBe(true);
    let error: unknown;
    try {
      t.setLocalInterest([
        { namespace: 'default', name: 'orders', filters: [typeIs('x'), { filters: [{ cesql: '(' }] }] },
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]?.path).toMatch(/^brokers\[0\]\.filters\[1\]/);
    // The refused interest changed nothing.
    expect(t.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [typeIs('y')] }])).toBe(
      false,
    );
    expect(t.isFederated(KEY)).toBe(true);
  });

  it('passes interest along a chain, never back where it came from (split horizon)', () => {
    const a = table('a', [typeIs('for-a')]);
    const b = table('b', [typeIs('for-b')]);
    const c = table('c', [typeIs('for-c')]);
    for (let round = 0; round < 2; round++) {
      announce(a, b);
      announce(c, b);
      announce(b, a);
      announce(b, c);
    }
    expect(paths(a)).toEqual(['b', 'b>c']);
    expect(paths(c)).toEqual(['b', 'b>a']);
    expect(paths(b)).toEqual(['a', 'c']);
    // What b tells a holds c's interest but not a's own.
    const toA = b.buildAnnouncement('a').brokers[0]?.gateways.map((g) => g.path.join('>'));
    expect(toA).toEqual(['b', 'b>c']);

    // a sends for-c towards c through b; b sends it on to c.
    const plan = a.plan(KEY, ev('for-c'));
    expect([...plan.peers]).toEqual([['b', ['c']]]);
    const atB = recordHop(withTargets(ev('for-c'), ['c']), 'a');
    expect([...b.plan(KEY, atB).peers]).toEqual([['c', ['c']]]);
    expect(a.peersInterestedIn(KEY, ev('for-b'))).toEqual(['b']);
    expect(a.peersInterestedIn(KEY, ev('nobody'))).toEqual([]);
  });

  it('picks the shortest path in a triangle, and the same tree from every origin', () => {
    const a = table('a', [typeIs('t')]);
    const b = table('b', [typeIs('t')]);
    const c = table('c', [typeIs('t')]);
    const all = [a, b, c];
    for (let round = 0; round < 3; round++) {
      for (const x of all) for (const y of all) if (x !== y) announce(x, y);
    }
    // a knows c directly and through b; a's announcement to b does not offer b's own interest.
    expect(paths(a)).toEqual(['b', 'b>c', 'c', 'c>b']);
    expect([...a.plan(KEY, ev('t')).peers].sort()).toEqual([
      ['b', ['b']],
      ['c', ['c']],
    ]);
    // At b, a copy for b alone goes nowhere further.
    const atB = recordHop(withTargets(ev('t'), ['b']), 'a');
    expect(b.plan(KEY, atB)).toMatchObject({ unroutable: [] });
    expect(b.plan(KEY, atB).peers.size).toBe(0);
  });

  it('does not route through a gateway on the route, and reports what it cannot reach', () => {
    const a = table('a');
    const b = table('b', [typeIs('t')]);
    const c = table('c', [typeIs('t')]);
    // c is known to b only through a.
    announce(c, a);
    announce(a, b);
    expect(paths(b)).toEqual(['a>c']);
    const fromA = recordHop(withTargets(ev('t'), ['c']), 'a');
    const plan = b.plan(KEY, fromA);
    expect(plan.peers.size).toBe(0);
    expect(plan.unroutable).toEqual(['c']);
    expect(plan.looped).toEqual(['a']);
  });

  it('respects the hop limit when planning and announcing', () => {
    const t = new InterestTable({ gatewayId: 'a', maxHops: 2 });
    t.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [] }]);
    t.applyAnnouncement({
      protocol: 1,
      gatewayId: 'b',
      epoch: 'e',
      version: 1,
      brokers: [
        {
          namespace: 'default',
          name: 'orders',
          gateways: [
            { path: ['b'], filters: [typeIs('t')] },
            { path: ['b', 'c'], filters: [typeIs('t')] },
          ],
        },
      ],
    });
    expect([...t.plan(KEY, ev('t')).peers]).toEqual([['b', ['b', 'c']]]);
    // One link crossed already: c is two more away, one too many.
    const once = recordHop(ev('t'), 'z');
    expect(t.plan(KEY, once)).toMatchObject({ unroutable: ['c'], looped: [] });
    // Paths announced onwards may not exceed maxHops either.
    expect(t.buildAnnouncement('d').brokers[0]?.gateways.map((g) => g.path)).toEqual([['a', 'b']]);
  });

  it('ignores an older announcement, accepts a new epoch, and reports changes', () => {
    const a = table('a', [typeIs('x')]);
    const b = table('b');
    const first = a.buildAnnouncement('b');
    const second = a.buildAnnouncement('b');
    expect(b.hasHeardFrom('a')).toBe(false);
    expect(b.applyAnnouncement(second, 'a')).toEqual({ applied: true, changed: true, refusedPaths: 0 });
    expect(b.hasHeardFrom('a')).toBe(true);
    expect(b.applyAnnouncement(first, 'a')).toMatchObject({ applied: false, changed: false });
    expect(b.applyAnnouncement(a.buildAnnouncement('b'), 'a')).toMatchObject({
      applied: true,
      changed: false,
    });

    const restarted = new InterestTable({ gatewayId: 'a', epoch: 'a-2' });
    restarted.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [typeIs('y')] }]);
    expect(b.applyAnnouncement(restarted.buildAnnouncement('b'), 'a')).toMatchObject({
      applied: true,
      changed: true,
    });
    expect(b.peersInterestedIn(KEY, ev('y'))).toEqual(['a']);
    expect(b.peersInterestedIn(KEY, ev('x'))).toEqual([]);

    expect(b.removePeer('a')).toBe(true);
    expect(b.removePeer('a')).toBe(false);
    expect(b.hasHeardFrom('a')).toBe(false);
    expect(b.peersInterestedIn(KEY, ev('y'))).toEqual([]);
    expect(b.peers).toEqual([]);
  });

  it('refuses paths through itself, an announcement in another name, and its own name', () => {
    const b = table('b');
    const looping = {
      protocol: 1,
      gatewayId: 'a',
      epoch: 'e',
      version: 1,
      brokers: [{ namespace: 'default', name: 'orders', gateways: [{ path: ['a', 'b', 'c'], filters: [] }] }],
    };
    expect(b.applyAnnouncement(looping, 'a')).toMatchObject({ applied: true, refusedPaths: 1 });
    expect(b.routesFor(KEY)).toEqual([]);
    expect(() => b.applyAnnouncement(looping, 'mallory')).toThrow(InvalidAnnouncementError);
    expect(() => b.applyAnnouncement({ ...looping, gatewayId: 'b', brokers: [] }, undefined)).toThrow(
      /own name/,
    );
    expect(() => new InterestTable({ gatewayId: 'a', maxHops: 0 })).toThrow(ConfigError);
    expect(() => new InterestTable({ gatewayId: 'A' })).toThrow(ConfigError);
  });

  it('forwards nothing for a Broker that is not federated here', () => {
    const a = table('a', [typeIs('t')]);
    const b = new InterestTable({ gatewayId: 'b' });
    announce(a, b);
    expect(b.isFederated(KEY)).toBe(false);
    expect(b.plan(KEY, ev('t')).peers.size).toBe(0);
    expect(b.buildAnnouncement('c').brokers).toEqual([]);
  });
});
