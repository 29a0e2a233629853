// Proves the local NATS server works with nats.js JetStream: PubAck, durable pull consumer, ack.
import { AckPolicy, connect, headers } from 'nats';
import { describe, expect, it } from 'vitest';
import { services, uniqueName } from '../../../test/support/services.js';

describe('nats jetstream smoke (real server)', () => {
  it('publishes with a PubAck and acks through a durable pull consumer', async () => {
    const nc = await connect({ servers: services.natsUrl() });
    const stream = uniqueName('SMOKE').replaceAll('-', '_');
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
      const js = nc.jetstream();
      const h = headers();
      h.set('ce-id', '1');
      const ack = await js.publish(`${stream}.events`, new TextEncoder().encode('hello'), {
        headers: h,
        msgID: 'x-1',
      });
      expect(ack.seq).toBe(1);
      expect(ack.duplicate).toBe(false);

      await jsm.consumers.add(stream, { durable_name: 'smoke', ack_policy: AckPolicy.Explicit });
      const consumer = await js.consumers.get(stream, 'smoke');
      const msg = await consumer.next({ expires: 5000 });
      expect(msg).not.toBeNull();
      expect(new TextDecoder().decode(msg!.data)).toBe('hello');
      expect(msg!.headers?.get('ce-id')).toBe('1');
      await msg!.ackAck();
      const info = await consumer.info();
      expect(info.num_ack_pending).toBe(0);
      expect(info.delivered.stream_seq).toBe(1);
    } finally {
      await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    }
  });
});
