import { describe, expect, it } from 'vitest';
import type { Delivery } from '../contracts.js';
import { OverloadedError } from '../errors.js';
import { makeEvent } from '../event/mesh-event.js';
import { compileFilter } from '../filter/index.js';
import { MemoryChannel } from './memory-channel.js';

const ev = (type: string, id = type) => makeEvent({ specversion: '1.0', id, source: '/t', type });

describe('MemoryChannel', () => {
  it('hands each subscription only the events its filter can match', async () => {
    const ch = new MemoryChannel({ name: 'ns/b', capacity: 100 });
    const a: string[] = [];
    const b: string[] = [];
    await ch.subscribe(
      { name: 'a', maxInFlight: 10, filter: compileFilter({ filter: { attributes: { type: 'x' } } }) },
      (d) => {
        a.push(String(d.event.attributes.type));
        d.ack();
      },
    );
    await ch.subscribe({ name: 'b', maxInFlight: 10 }, (d) => {
      b.push(String(d.event.attributes.type));
      d.ack();
    });
    await ch.publish(ev('x'));
    await ch.publish(ev('y'));
    expect(a).toEqual(['x']);
    expect(b).toEqual(['x', 'y']);
    expect(ch.size).toBe(0);
  });

  it('keeps a slow subscription from holding back another, and bounds in-flight deliveries', async () => {
    const ch = new MemoryChannel({ name: 'ns/b', capacity: 1000 });
    const stuck: Delivery[] = [];
    const fast: string[] = [];
    await ch.subscribe({ name: 'slow', maxInFlight: 3 }, (d) => stuck.push(d));
    await ch.subscribe({ name: 'fast', maxInFlight: 1 }, (d) => {
      fast.push(String(d.event.attributes.id));
      d.ack();
    });
    for (let i = 0; i < 10; i++) await ch.publish(ev('t', String(i)));
    expect(fast).toHaveLength(10);
    expect(stuck).toHaveLength(3); // the rest wait in the slow subscription's own queue
    stuck[0]?.ack();
    expect(stuck).toHaveLength(4);
  });

  it('rejects publishing with OverloadedError when its capacity is used up', async () => {
    const ch = new MemoryChannel({ name: 'ns/b', capacity: 2 });
    await ch.subscribe({ name: 'never-acks', maxInFlight: 1 }, () => {});
    await ch.publish(ev('a'));
    await ch.publish(ev('b'));
    await expect(ch.publish(ev('c'))).rejects.toBeInstanceOf(OverloadedError);
  });

  it('hands a nacked event out again after its delay, counting redeliveries', async () => {
    const ch = new MemoryChannel({ name: 'ns/b', capacity: 10 });
    const seen: number[] = [];
    await ch.subscribe({ name: 's', maxInFlight: 1 }, (d) => {
      seen.push(d.redeliveries);
      if (d.redeliveries < 2) d.nack(new Error('not yet'), 5);
      else d.ack();
    });
    await ch.publish(ev('a'));
    await expect.poll(() => seen, { timeout: 2000 }).toEqual([0, 1, 2]);
    expect(ch.size).toBe(0);
  });

  it('keeps order in an ordered subscription when the head event is nacked', async () => {
    const ch = new MemoryChannel({ name: 'ns/b', capacity: 10 });
    const order: string[] = [];
    let failedOnce = false;
    await ch.subscribe({ name: 's', maxInFlight: 8, ordered: true }, (d) => {
      const id = String(d.event.attributes.id);
      if (id === '1' && !failedOnce) {
        failedOnce = true;
        d.nack(new Error('retry'), 5);
        return;
      }
      order.push(id);
      d.ack();
    });
    for (const id of ['1', '2', '3']) await ch.publish(ev('t', id));
    await expect.poll(() => order, { timeout: 2000 }).toEqual(['1', '2', '3']);
  });

  it('releases what a closed subscription held', async () => {
    const ch = new MemoryChannel({ name: 'ns/b', capacity: 10 });
    const sub = await ch.subscribe({ name: 's', maxInFlight: 1 }, () => {});
    await ch.publish(ev('a'));
    await ch.publish(ev('b'));
    expect(ch.size).toBe(2);
    await sub.close();
    expect(ch.size).toBe(0);
  });
});
