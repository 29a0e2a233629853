import { describe, expect, it } from 'vitest';
import { makeEvent } from '../event/mesh-event.js';
import { FederationNode } from './node.js';
import { HOPS_ATTRIBUTE, recordHop } from './route.js';

const ev = (id: string) => makeEvent({ specversion: '1.0', id, source: '/s', type: 't' });

function node() {
  const n = new FederationNode({
    gatewayId: 'west',
    maxHops: 3,
    dedup: { maxEntries: 10 },
    sender: { send: async () => ({ status: 202, headers: {} }) },
    policy: { retry: 0, backoffPolicy: 'linear', backoffDelayMs: 0 },
  });
  n.table.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [] }]);
  return n;
}

describe('FederationNode.admit', () => {
  it('accepts a new event once and drops its repeats', () => {
    const n = node();
    const e = recordHop(ev('1'), 'east');
    expect(n.admit('default/orders', e)).toBe('accept');
    expect(n.admit('default/orders', e)).toBe('duplicate');
    expect(n.received).toMatchObject({ accept: 1, duplicate: 1 });
  });

  it('accepts the retry of an event whose ingest failed, once released', () => {
    const n = node();
    const e = recordHop(ev('1'), 'east');
    expect(n.admit('default/orders', e)).toBe('accept');
    n.release('default/orders', e);
    expect(n.admit('default/orders', e)).toBe('accept');
  });

  it('drops an event that already passed through this gateway or crossed too many links', () => {
    const n = node();
    expect(n.admit('default/orders', recordHop(recordHop(ev('1'), 'west'), 'east'))).toBe('loop');
    const far = makeEvent({ ...recordHop(ev('2'), 'east').attributes, [HOPS_ATTRIBUTE]: 4 });
    expect(n.admit('default/orders', far)).toBe('hop-limit');
    // Neither was recorded: they do not count as seen.
    expect(n.dedup.size).toBe(0);
  });

  it('keeps Brokers apart: the same event in two federated Brokers is not a duplicate', () => {
    const n = node();
    n.table.setLocalInterest([
      { namespace: 'default', name: 'orders', filters: [] },
      { namespace: 'default', name: 'audit', filters: [] },
    ]);
    const e = recordHop(ev('1'), 'east');
    expect(n.admit('default/orders', e)).toBe('accept');
    expect(n.admit('default/audit', e)).toBe('accept');
    expect(n.admit('default/audit', e)).toBe('duplicate');
  });

  it('refuses events for a Broker that is not federated here', () => {
    expect(node().admit('default/other', ev('1'))).toBe('not-federated');
  });

  it('bounds the dedup window as configured', () => {
    const n = node();
    for (let i = 0; i < 25; i++) n.admit('default/orders', recordHop(ev(String(i)), 'east'));
    expect(n.dedup.size).toBe(10);
    expect(n.gatewayId).toBe('west');
  });
});
