import { describe, expect, it } from 'vitest';
import type { DeliveryClock } from '../delivery/deliver.js';
import type { DeliveryPolicy } from '../delivery/policy.js';
import type { AddressableSender, SendRequest, SendResponse } from '../delivery/sender.js';
import { NotConnectedError } from '../errors.js';
import { makeEvent, type MeshEvent } from '../event/mesh-event.js';
import type { TriggerFilterSpec } from '../filter/types.js';
import { approximateSize, PeerForwarder, peerBrokerUrl } from './forwarder.js';
import { InterestTable } from './interest-table.js';
import { HOPS_ATTRIBUTE, ROUTE_ATTRIBUTE, recordHop, TARGETS_ATTRIBUTE, withTargets } from './route.js';

const KEY = 'default/orders';
const policy: DeliveryPolicy = { retry: 2, backoffPolicy: 'linear', backoffDelayMs: 10 };
const clock: DeliveryClock = { now: () => 0, sleep: async () => {} };
const typeIs = (type: string): TriggerFilterSpec => ({ filter: { attributes: { type } } });
const ev = (type: string, id: string): MeshEvent =>
  makeEvent({ specversion: '1.0', id, source: '/orders', type }, '{"n":1}');

class FakeSender implements AddressableSender {
  readonly requests: SendRequest[] = [];
  constructor(readonly answer: (req: SendRequest) => number | Error = () => 202) {}
  async send(req: SendRequest): Promise<SendResponse> {
    this.requests.push(req);
    const a = this.answer(req);
    if (a instanceof Error) throw a;
    return { status: a, headers: {} };
  }
}

/** east, with peers west (interested in `type` values) and north (no interest). */
function east(westFilters: TriggerFilterSpec[], sender: AddressableSender, interestRouting = true) {
  const table = new InterestTable({ gatewayId: 'east', interestRouting });
  table.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [] }]);
  const west = new InterestTable({ gatewayId: 'west' });
  west.setLocalInterest([{ namespace: 'default', name: 'orders', filters: westFilters }]);
  table.applyAnnouncement(west.buildAnnouncement('east'), 'west');
  const forwarder = new PeerForwarder({
    table,
    sender,
    policy,
    clock,
    peers: [
      { id: 'west', url: 'http://west:8080/peer/', token: 's3cret', headers: { 'x-extra': '1' } },
      { id: 'north', url: 'http://north:8080/peer' },
    ],
  });
  return forwarder;
}

describe('PeerForwarder', () => {
  it('sends the copy with its route, hop count and targets to the peer URL with the bearer token', async () => {
    const sender = new FakeSender();
    const forwarder = east([typeIs('created')], sender);
    const result = await forwarder.forward(KEY, ev('created', '1'));
    expect(result).toMatchObject({ ok: true, retriable: false, unroutable: [] });
    expect(result.deliveries.map((d) => [d.peer, d.targets, d.outcome.kind])).toEqual([
      ['west', ['west'], 'delivered'],
    ]);
    const [req] = sender.requests;
    expect(req?.url).toBe('http://west:8080/peer/default/orders');
    expect(req?.headers).toEqual({ authorization: 'Bearer s3cret', 'x-extra': '1' });
    expect(req?.event.attributes).toMatchObject({
      [ROUTE_ATTRIBUTE]: 'east',
      [HOPS_ATTRIBUTE]: 1,
      [TARGETS_ATTRIBUTE]: 'west',
    });
    expect(forwarder.counters('west')).toEqual({
      forwarded: 1,
      filteredOut: 0,
      looped: 0,
      failed: 0,
      bytes: approximateSize(req!.event),
    });
    expect(forwarder.counters('north')).toMatchObject({ forwarded: 0, filteredOut: 1 });
  });

  it('sends across the link only the events that match a remote Trigger (10% → 10%)', async () => {
    const sender = new FakeSender();
    const forwarder = east([typeIs('match')], sender);
    for (let i = 0; i < 1_000; i++)
      await forwarder.forward(KEY, ev(i % 10 === 0 ? 'match' : 'other', String(i)));
    expect(sender.requests).toHaveLength(100);
    expect(sender.requests.every((r) => r.event.attributes.type === 'match')).toBe(true);
    expect(forwarder.counters('west')).toMatchObject({ forwarded: 100, filteredOut: 900 });
    expect(forwarder.allCounters().north).toMatchObject({ forwarded: 0, filteredOut: 1_000 });
  });

  it('sends everything to every interested gateway when interest routing is off (for comparison)', async () => {
    const sender = new FakeSender();
    const forwarder = east([typeIs('match')], sender, false);
    for (let i = 0; i < 100; i++)
      await forwarder.forward(KEY, ev(i % 10 === 0 ? 'match' : 'other', String(i)));
    expect(sender.requests).toHaveLength(100);
    expect(forwarder.counters('north')).toMatchObject({ forwarded: 0, filteredOut: 100 });
  });

  it('retries a peer that is down and reports a retriable failure, so the event stays in the channel', async () => {
    const refused = new FakeSender(() => new NotConnectedError('connect ECONNREFUSED'));
    const forwarder = east([typeIs('created')], refused);
    const result = await forwarder.forward(KEY, ev('created', '1'));
    expect(result).toMatchObject({ ok: false, retriable: true });
    expect(refused.requests).toHaveLength(3);
    expect(forwarder.counters('west')).toMatchObject({ forwarded: 0, failed: 1 });

    const unauthorized = new FakeSender(() => 401);
    const f2 = east([typeIs('created')], unauthorized);
    expect(await f2.forward(KEY, ev('created', '1'))).toMatchObject({ ok: false, retriable: false });
    expect(unauthorized.requests).toHaveLength(1);
  });

  it('counts events refused by the route as looped, and can serve one peer at a time', async () => {
    const sender = new FakeSender();
    const forwarder = east([typeIs('created')], sender);
    // Copies that already visited west: west's interest is there, the route refuses it.
    const fromWest = recordHop(withTargets(ev('created', '1'), ['west']), 'west');
    expect((await forwarder.forward(KEY, fromWest)).deliveries).toEqual([]);
    await forwarder.forward(KEY, recordHop(ev('created', '2'), 'west'));
    expect(forwarder.counters('west')).toMatchObject({ looped: 2, filteredOut: 0 });
    expect(forwarder.counters('north')).toMatchObject({ looped: 0, filteredOut: 2 });
    expect(sender.requests).toHaveLength(0);

    await forwarder.forward(KEY, ev('created', '3'), { peer: 'north' });
    expect(sender.requests).toHaveLength(0);
    await forwarder.forward(KEY, ev('created', '3'), { peer: 'west' });
    expect(sender.requests).toHaveLength(1);
  });

  it('fails, retriably, towards a planned peer that has no link configured', async () => {
    const sender = new FakeSender();
    const forwarder = east([typeIs('created')], sender);
    forwarder.setPeers([]);
    const result = await forwarder.forward(KEY, ev('created', '1'));
    expect(result).toMatchObject({ ok: false, retriable: true });
    expect(result.deliveries[0]?.outcome).toMatchObject({ kind: 'failed', error: /no link configured/ });
    expect(sender.requests).toHaveLength(0);
  });

  it('builds peer URLs with encoded segments', () => {
    expect(peerBrokerUrl('http://p:1/', 'my ns/b')).toBe('http://p:1/my%20ns/b');
    expect(peerBrokerUrl('http://p:1', 'ns/b')).toBe('http://p:1/ns/b');
  });
});
