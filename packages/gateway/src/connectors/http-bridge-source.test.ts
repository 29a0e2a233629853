import { type Delivery, makeEvent, MeshgateError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { HttpBridgeSource } from './http-bridge-source.js';

const event = (id: string) => makeEvent({ id, type: 't', source: '/s', specversion: '1.0' });

function source(maxPending?: number) {
  return new HttpBridgeSource({
    key: 'shop/in',
    path: '/bridges/shop/in',
    maxBodyBytes: 1024,
    ...(maxPending !== undefined && { maxPending }),
  });
}

describe('HttpBridgeSource', () => {
  it('resolves a request once every event of it is acked', async () => {
    const s = source();
    const seen: Delivery[] = [];
    await s.start((d) => seen.push(d));
    let done = false;
    const accepted = s.addressable.accept([event('a'), event('b')]).then(() => {
      done = true;
    });
    expect(seen.map((d) => d.event.attributes.id)).toEqual(['a', 'b']);
    seen[0]?.ack();
    await Promise.resolve();
    expect(done).toBe(false);
    seen[1]?.ack();
    await accepted;
    expect(done).toBe(true);
    expect(s.addressable.kind).toBe('bridge');
    expect(s.status().state).toBe('ready');
  });

  it('rejects with a retriable DELIVERY_FAILED (503) when an event is nacked', async () => {
    const s = source();
    await s.start((d) => (d.event.attributes.id === 'bad' ? d.nack(new Error('sink said 500')) : d.ack()));
    const err = await s.addressable.accept([event('ok'), event('bad')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).code).toBe('DELIVERY_FAILED');
    expect((err as MeshgateError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/bridge shop\/in could not deliver event bad: sink said 500/);
  });

  it('refuses with OVERLOADED (429) past maxPending, and NOT_CONNECTED (503) when stopped', async () => {
    const s = source(2);
    const held: Delivery[] = [];
    await s.start((d) => held.push(d));
    const first = s.addressable.accept([event('1'), event('2')]);
    await expect(s.addressable.accept([event('3')])).rejects.toMatchObject({ code: 'OVERLOADED' });
    for (const d of held) d.ack();
    await first;
    // Room again once the first request is answered.
    const again = s.addressable.accept([event('4')]);
    held[2]?.ack();
    await again;
    await s.stop();
    expect(s.status().state).toBe('stopped');
    await expect(s.addressable.accept([event('5')])).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });
});
