// Cuts every connection of the shared RabbitMQ (`rabbitmqctl close_all_connections`) under a
// running source, sink and channel: they report `degraded`, reconnect with backoff, and nothing
// un-acked is lost. Disruptive: it runs last, alone (see vitest.config.ts).
import { execFileSync } from 'node:child_process';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  conformanceEvent,
  DeliveryRecorder,
  sleep,
  waitUntil,
} from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { RabbitmqChannel, RabbitmqSink, RabbitmqSource } from '../src/index.js';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

function closeAllConnections(): void {
  execFileSync('rabbitmqctl', ['close_all_connections', 'meshgate reconnect test'], { stdio: 'ignore' });
}

/** Sends, retrying while the sink reconnects (a send during the outage rejects as retriable). */
async function sendWithRetry(
  sink: RabbitmqSink,
  event: ReturnType<typeof conformanceEvent>,
): Promise<number> {
  let failures = 0;
  for (;;) {
    try {
      await sink.send(event);
      return failures;
    } catch (err) {
      expect((err as { retriable?: boolean }).retriable).toBe(true);
      failures += 1;
      if (failures > 200) throw err;
      await sleep(100);
    }
  }
}

describe('rabbitmq reconnect (disruptive)', () => {
  it('source and sink survive close_all_connections; un-acked messages are redelivered', async () => {
    const admin = await amqp.connect(services.rabbitmqUrl());
    const queue = uniqueName('reconnect');
    const ch = await admin.createChannel();
    await ch.assertQueue(queue, { durable: true });
    cleanup.push(async () => {
      const c = await amqp.connect(services.rabbitmqUrl());
      const x = await c.createChannel();
      await x.deleteQueue(queue);
      await c.close();
    });
    await admin.close().catch(() => {});

    const url = services.rabbitmqUrl();
    const reconnect = { initialDelayMs: 100, maxDelayMs: 1000 };
    const sink = new RabbitmqSink({
      name: 'reconnect-sink',
      url,
      exchange: '',
      routingKey: queue,
      reconnect,
    });
    cleanup.push(() => sink.close());
    const before = [1, 2, 3].map((n) => conformanceEvent(n));
    for (const e of before) await sink.send(e);

    // Holds the first round of deliveries un-acked, acks everything after the cut.
    let cut = false;
    const recorder = new DeliveryRecorder((d) => {
      if (cut) d.ack();
    });
    const source = new RabbitmqSource({ name: 'reconnect-source', url, queue, maxInFlight: 10, reconnect });
    cleanup.push(() => source.stop());
    await source.start(recorder.handler);
    const ids = before.map((e) => String(e.attributes.id));
    await recorder.waitForIds(ids);
    const held = [...recorder.received];

    cut = true;
    closeAllConnections();
    await waitUntil('the source to notice', () => source.status().state === 'degraded', 10_000).catch(() => {
      // It may already have reconnected; what matters is below.
    });
    // Settling a delivery of the lost channel must be harmless.
    for (const d of held) d.ack();

    const after = [4, 5].map((n) => conformanceEvent(n));
    for (const e of after) await sendWithRetry(sink, e);
    await waitUntil('source ready again', () => source.status().state === 'ready');
    await waitUntil('held and new events delivered after the cut', () => {
      const later = recorder.received.slice(held.length).map((d) => String(d.event.attributes.id));
      return [...ids, ...after.map((e) => String(e.attributes.id))].every((id) => later.includes(id));
    });
    const redelivered = recorder.received
      .slice(held.length)
      .filter((d) => ids.includes(String(d.event.attributes.id)));
    expect(redelivered.every((d) => d.redeliveries >= 1)).toBe(true);
    expect(sink.status().state).toBe('ready');
  });

  it('a channel keeps publishing and its subscription resumes after close_all_connections', async () => {
    const exchange = uniqueName('reconnect-broker');
    const url = services.rabbitmqUrl();
    const reconnect = { initialDelayMs: 100, maxDelayMs: 1000 };
    const channel = new RabbitmqChannel({
      name: `default.${exchange}`,
      url,
      exchange,
      queueArguments: { 'x-expires': 60_000 },
      reconnect,
    });
    cleanup.push(async () => {
      await channel.close();
      const c = await amqp.connect(url);
      const x = await c.createChannel();
      await x.deleteExchange(exchange);
      await c.close();
    });
    const recorder = new DeliveryRecorder();
    await channel.subscribe({ name: 'trigger', maxInFlight: 5 }, recorder.handler);
    const first = conformanceEvent(1);
    await channel.publish(first);
    await recorder.waitForIds([String(first.attributes.id)]);

    closeAllConnections();
    const second = conformanceEvent(2);
    for (let i = 0; ; i++) {
      try {
        await channel.publish(second);
        break;
      } catch (err) {
        expect((err as { retriable?: boolean }).retriable).toBe(true);
        if (i > 200) throw err;
        await sleep(100);
      }
    }
    await recorder.waitForIds([String(second.attributes.id)]);
    await waitUntil('channel ready', () => channel.status().state === 'ready');
  });
});
