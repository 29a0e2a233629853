/**
 * Bridges with `meshgate start` as processes and real brokers: a RabbitMQ queue to an HTTP sink
 * with a filter, and a Kafka topic at east to the federated Broker on its peer west.
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
});
