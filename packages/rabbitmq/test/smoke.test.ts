// Proves the local RabbitMQ works with amqplib: publisher confirms, consume with manual ack.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { services, uniqueName } from '../../../test/support/services.js';

describe('rabbitmq smoke (real broker)', () => {
  it('publishes with a confirm and consumes with a manual ack', async () => {
    const conn = await amqp.connect(services.rabbitmqUrl());
    try {
      const ch = await conn.createConfirmChannel();
      const queue = uniqueName('smoke');
      await ch.assertQueue(queue, { durable: false, autoDelete: true });
      await new Promise<void>((resolve, reject) =>
        ch.sendToQueue(queue, Buffer.from('hello'), { persistent: true, headers: { 'ce-id': '1' } }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      await ch.waitForConfirms();
      const msg = await new Promise<amqp.ConsumeMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
        void ch.consume(
          queue,
          (m) => {
            if (m) {
              clearTimeout(timer);
              resolve(m);
            }
          },
          { noAck: false },
        );
      });
      expect(msg.content.toString()).toBe('hello');
      expect(msg.properties.headers?.['ce-id']).toBe('1');
      ch.ack(msg);
      const check = await ch.checkQueue(queue);
      expect(check.messageCount).toBe(0);
      await ch.close();
    } finally {
      await conn.close();
    }
  });
});
