// Proves the Pub/Sub emulator works with @google-cloud/pubsub: publish with attributes, streaming pull, ack.
import { type Message, PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { services, uniqueName } from '../../../test/support/services.js';

describe('pubsub smoke (emulator)', () => {
  it('publishes with attributes and acks through a streaming pull', async () => {
    services.pubsubEmulatorHost(); // fails loudly when the emulator variable is missing
    const pubsub = new PubSub({ projectId: services.pubsubProjectId() });
    const [topic] = await pubsub.createTopic(uniqueName('smoke'));
    const [subscription] = await topic.createSubscription(uniqueName('smoke-sub'));
    try {
      const id = await topic.publishMessage({ data: Buffer.from('hello'), attributes: { 'ce-id': '1' } });
      expect(id).toMatch(/\S+/);
      const msg = await new Promise<Message>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 15 s')), 15_000);
        subscription.on('message', (m: Message) => {
          clearTimeout(timer);
          resolve(m);
        });
        subscription.on('error', reject);
      });
      expect(msg.data.toString()).toBe('hello');
      expect(msg.attributes['ce-id']).toBe('1');
      expect(await msg.ackWithResponse()).toBe('SUCCESS');
    } finally {
      await subscription.close();
      await subscription.delete().catch(() => {});
      await topic.delete().catch(() => {});
      await pubsub.close();
    }
  });
});
