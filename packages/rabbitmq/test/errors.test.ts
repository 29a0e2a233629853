// RabbitMQ-specific bad input: missing exchange, unroutable publish, missing queue, wrong
// credentials. Each is a clear error or status naming the object, never a crash or silence.
import amqp from 'amqplib';
import { MeshgateError } from '@meshgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  conformanceEvent,
  DeliveryRecorder,
  waitUntil,
} from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { RabbitmqChannel, RabbitmqSink, RabbitmqSource } from '../src/index.js';

const exchanges: string[] = [];
afterAll(async () => {
  const c = await amqp.connect(services.rabbitmqUrl());
  const ch = await c.createChannel();
  for (const e of exchanges) await ch.deleteExchange(e);
  await c.close();
});

async function rejection(p: Promise<unknown>): Promise<MeshgateError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshgateError);
  return err as MeshgateError;
}

describe('rabbitmq errors (real broker)', () => {
  it('a sink to a missing exchange rejects with NOT_FOUND naming the exchange, then recovers', async () => {
    const exchange = uniqueName('missing-x');
    const sink = new RabbitmqSink({ name: 'mx', url: services.rabbitmqUrl(), exchange });
    try {
      const err = await rejection(sink.send(conformanceEvent(1)));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.message).toContain(`exchange "${exchange}"`);
      // Once the exchange exists (with a queue bound), the same sink works.
      const c = await amqp.connect(services.rabbitmqUrl());
      const ch = await c.createChannel();
      await ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true });
      const q = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(q.queue, exchange, '');
      exchanges.push(exchange);
      await sink.send(conformanceEvent(2));
      expect((await ch.checkQueue(q.queue)).messageCount).toBe(1);
      await c.close();
    } finally {
      await sink.close();
    }
  });

  it('an unroutable publish (no queue bound) is an error, not silence', async () => {
    const exchange = uniqueName('unbound-x');
    const c = await amqp.connect(services.rabbitmqUrl());
    const ch = await c.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: false });
    exchanges.push(exchange);
    await c.close();
    const sink = new RabbitmqSink({ name: 'unroutable', url: services.rabbitmqUrl(), exchange });
    try {
      const err = await rejection(sink.send(conformanceEvent(1)));
      expect(err.message).toMatch(/unroutable/);
      expect(err.message).toContain(`exchange "${exchange}"`);
      expect(err.message).toContain('routing key "io.meshgate.conformance"');
    } finally {
      await sink.close();
    }
  });

  it('with many publishes in flight, exactly the unroutable ones reject', async () => {
    const exchange = uniqueName('half-bound-x');
    const c = await amqp.connect(services.rabbitmqUrl());
    const ch = await c.createChannel();
    await ch.assertExchange(exchange, 'direct', { durable: false });
    exchanges.push(exchange);
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, exchange, 'bound');
    // Even events go to the bound key, odd ones to a key no queue takes; all sent at once.
    const sink = new RabbitmqSink({
      name: 'half-bound',
      url: services.rabbitmqUrl(),
      exchange,
      routingKey: (e) => (Number(String(e.attributes.subject).slice(2)) % 2 === 0 ? 'bound' : 'nowhere'),
    });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, n) => sink.send(conformanceEvent(n))),
      );
      const rejected = results.flatMap((r, n) => (r.status === 'rejected' ? [n] : []));
      expect(rejected).toEqual(Array.from({ length: 20 }, (_, k) => 2 * k + 1));
      for (const n of rejected) {
        const r = results[n] as PromiseRejectedResult;
        expect(String(r.reason.message)).toMatch(/unroutable.*routing key "nowhere"/);
      }
      expect((await ch.checkQueue(q.queue)).messageCount).toBe(20);
    } finally {
      await sink.close();
      await c.close();
    }
  });

  it('a channel accepts an event no Trigger takes (like a Knative Broker)', async () => {
    const exchange = uniqueName('empty-broker');
    exchanges.push(exchange);
    const channel = new RabbitmqChannel({ name: 'default.empty', url: services.rabbitmqUrl(), exchange });
    try {
      await channel.publish(conformanceEvent(1));
      expect(channel.status().state).toBe('ready');
    } finally {
      await channel.close();
    }
  });

  it('a source on a missing queue reports degraded naming the queue, and starts when it appears', async () => {
    const queue = uniqueName('later-queue');
    const recorder = new DeliveryRecorder();
    const source = new RabbitmqSource({
      name: 'later',
      url: services.rabbitmqUrl(),
      queue,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    await source.start(recorder.handler);
    const c = await amqp.connect(services.rabbitmqUrl());
    try {
      await waitUntil('degraded', () => source.status().state === 'degraded');
      expect(source.status().reason).toContain(queue);
      const ch = await c.createConfirmChannel();
      await ch.assertQueue(queue, { durable: false, autoDelete: true });
      ch.sendToQueue(queue, Buffer.from('late'));
      await ch.waitForConfirms();
      await recorder.waitFor(1);
      expect(source.status().state).toBe('ready');
    } finally {
      await source.stop();
      await c.close();
    }
  });

  it('a handler that throws does not take the source down; the message comes back', async () => {
    const queue = uniqueName('throwing');
    const c = await amqp.connect(services.rabbitmqUrl());
    const ch = await c.createConfirmChannel();
    await ch.assertQueue(queue, { durable: false, autoDelete: true });
    const sink = new RabbitmqSink({
      name: 'throwing',
      url: services.rabbitmqUrl(),
      exchange: '',
      routingKey: queue,
    });
    await sink.send(conformanceEvent(1));
    const recorder = new DeliveryRecorder((d, r) => {
      if (r.received.length === 1) throw new Error('handler bug');
      d.ack();
    });
    const source = new RabbitmqSource({ name: 'throwing', url: services.rabbitmqUrl(), queue });
    try {
      await source.start(recorder.handler);
      await recorder.waitFor(2);
      expect(recorder.received[1]!.event.attributes.id).toBe(recorder.received[0]!.event.attributes.id);
      expect(source.status().state).toBe('ready');
    } finally {
      await source.stop();
      await sink.close();
      await c.close();
    }
  });

  it('wrong credentials: degraded with a reason, the password never shown', async () => {
    const url = new URL(services.rabbitmqUrl());
    url.username = 'nobody';
    url.password = 's3cret-pw';
    const source = new RabbitmqSource({ name: 'creds', url: url.toString(), queue: 'q' });
    await source.start(() => {});
    try {
      await waitUntil('degraded', () => source.status().state === 'degraded');
      const reason = source.status().reason ?? '';
      expect(reason).toMatch(/ACCESS_REFUSED|refused|auth/i);
      expect(reason).not.toContain('s3cret-pw');
      const sink = new RabbitmqSink({ name: 'creds', url: url.toString(), exchange: '', routingKey: 'q' });
      const err = await rejection(sink.send(conformanceEvent(1)));
      expect(err.retriable).toBe(true);
      expect(err.message).not.toContain('s3cret-pw');
      await sink.close();
    } finally {
      await source.stop();
    }
  });
});
