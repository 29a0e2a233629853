/**
 * Bridges with `meshgate start` as processes and real brokers: a RabbitMQ queue to an HTTP sink
 * with a filter, a Kafka topic at east to the federated Broker on its peer west, and HTTP sources
 * (into a RabbitMQ queue; to a sink that fails at first, answered 503 until it is delivered).
 */
import amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startSubscriber } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import { RequestTally, renderConfig, sleep, startGateway } from './support.js';

const ceHeaders = (id: string, type: string) => ({
  'ce-specversion': '1.0',
  'ce-id': id,
  'ce-type': type,
  'ce-source': '/e2e/bridge',
});

describe('Bridge', () => {
  it('moves matching events from a RabbitMQ queue to an HTTP sink; others are filtered out', async () => {
    const connection = await amqp.connect(services.rabbitmqUrl());
    const channel = await connection.createChannel();
    const queue = uniqueName('e2e-bridge');
    await channel.assertQueue(queue, { durable: false, autoDelete: false });
    const sink = await startSubscriber();
    const gw = await startGateway(
      renderConfig('bridge-rabbitmq.yaml', { url: services.rabbitmqUrl(), queue, sinkUrl: sink.url }),
    );
    for (const [id, type] of [
      ['b-1', 'order.created'],
      ['b-2', 'page.viewed'],
      ['b-3', 'order.paid'],
    ] as const) {
      channel.sendToQueue(queue, Buffer.from(`{"id":"${id}"}`), {
        contentType: 'application/json',
        headers: ceHeaders(id, type),
      });
    }
    const tally = new RequestTally(sink);
    await tally.until((t) => t.ids.has('b-1') && t.ids.has('b-3'), 20_000, 'the matching events at the sink');
    await sleep(500);
    expect([...tally.update().ids.keys()].sort()).toEqual(['b-1', 'b-3']);
    // The filtered-out event was acked, not left in the queue.
    await expect.poll(async () => (await channel.checkQueue(queue)).messageCount, { timeout: 5_000 }).toBe(0);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
    await connection.close();
  });

  it('moves matching events from a Kafka topic at east to the federated Broker on its peer west', async () => {
    const kafka = new Kafka({
      brokers: services.kafkaBrokers(),
      clientId: 'e2e-bridge',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    const topic = uniqueName('e2e-bridge-kafka');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const sink = await startSubscriber();
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const eastUrl = `http://127.0.0.1:${eastPort}`;
    const westUrl = `http://127.0.0.1:${westPort}`;
    const west = await startGateway(
      renderConfig('bridge-west.yaml', { eastUrl, sinkUrl: sink.url }),
      String(westPort),
    );
    const east = await startGateway(
      renderConfig('bridge-east.yaml', { bootstrap: services.kafkaBrokers().join(', '), topic, westUrl }),
      String(eastPort),
    );
    await producer.send({
      topic,
      messages: [
        {
          value: '{"n":1}',
          headers: {
            ce_specversion: '1.0',
            ce_id: 'k-1',
            ce_type: 'order.created',
            ce_source: '/e2e',
            'content-type': 'application/json',
          },
        },
        {
          value: '{"n":2}',
          headers: {
            ce_specversion: '1.0',
            ce_id: 'k-2',
            ce_type: 'page.viewed',
            ce_source: '/e2e',
            'content-type': 'application/json',
          },
        },
      ],
    });
    const tally = new RequestTally(sink);
    await tally.until((t) => t.ids.has('k-1'), 30_000, 'the bridged event at west');
    await sleep(500);
    expect([...tally.update().ids.keys()]).toEqual(['k-1']);
    const got = sink.requests().find((r) => r.headers['ce-id'] === 'k-1');
    expect(got?.headers['ce-meshgateroute']).toContain('east'); // the route records the bridge's gateway
    expect(got?.body.toString()).toBe('{"n":1}');
    await east.proc.stop('SIGTERM');
    await west.proc.stop('SIGTERM');
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }, 60_000);

  it('takes events over HTTP at its path, answers 202 once delivered, 503 while the sink fails', async () => {
    const connection = await amqp.connect(services.rabbitmqUrl());
    const channel = await connection.createChannel();
    const queue = uniqueName('e2e-bridge-http');
    await channel.assertQueue(queue, { durable: false, autoDelete: false });
    // The HTTP sink fails its first 2 requests: the Bridge retries once, so the first POST fails.
    const sink = await startSubscriber(['--fail', '2:503']);
    const gw = await startGateway(
      renderConfig('bridge-http.yaml', { url: services.rabbitmqUrl(), queue, sinkUrl: sink.url }),
    );
    const post = (path: string, id: string, type: string) =>
      fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { ...ceHeaders(id, type), 'content-type': 'application/json' },
        body: `{"id":"${id}"}`,
      });

    // Into RabbitMQ through the filter: 202 means the queue has it (publisher confirm).
    expect((await post('/hooks/in/orders', 'h-1', 'order.created')).status).toBe(202);
    expect((await post('/hooks/in/orders', 'h-2', 'page.viewed')).status).toBe(202); // filtered out
    const got = await channel.get(queue, { noAck: true });
    if (got === false) throw new Error(`nothing in ${queue}`);
    expect(got.properties.headers?.['ce-id']).toBe('h-1');
    expect(got.content.toString()).toBe('{"id":"h-1"}');
    expect(await channel.get(queue, { noAck: true })).toBe(false);

    // To the failing sink at the default path: 503 with Retry-After, then 202 when sent again.
    const first = await post('/bridges/shop/to-hook', 'h-3', 'anything');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(((await first.json()) as { error: string }).error).toContain('bridge shop/to-hook');
    const again = await post('/bridges/shop/to-hook', 'h-3', 'anything');
    expect(again.status).toBe(202);
    expect(sink.requests().map((r) => [r.headers['ce-id'], r.status])).toEqual([
      ['h-3', 503],
      ['h-3', 503],
      ['h-3', 202],
    ]);

    // Malformed events are refused with 400 and a reason; an unknown path is 404.
    const bad = await fetch(`${gw.url}/hooks/in/orders`, { method: 'POST', body: 'x' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${gw.url}/hooks/in/nowhere`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
    await connection.close();
  });
});
