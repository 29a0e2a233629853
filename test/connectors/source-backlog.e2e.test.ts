/**
 * Source backlog on /metrics (`meshgate_source_backlog`) with real brokers: while the sink fails,
 * the events wait in the RabbitMQ queue, the Kafka topic and the JetStream stream and the gauge shows them; once the sink
 * answers, they are delivered and the gauge goes back to 0.
 */
import amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { connect as natsConnect, headers as natsHeaders } from 'nats';
import { describe, expect, it } from 'vitest';
import { startSubscriber } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import { RequestTally, renderConfig, startGateway } from './support.js';

const N = 20;

async function backlogOf(url: string, source: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`meshgate_source_backlog{source="${source}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('source backlog', () => {
  it('shows events waiting in RabbitMQ, Kafka and JetStream while the sink fails, 0 once delivered', async () => {
    const connection = await amqp.connect(services.rabbitmqUrl());
    const channel = await connection.createChannel();
    const queue = uniqueName('e2e-backlog');
    await channel.assertQueue(queue, { durable: false, autoDelete: false });
    const kafka = new Kafka({
      brokers: services.kafkaBrokers(),
      clientId: 'e2e-backlog',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    const topic = uniqueName('e2e-backlog');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const nc = await natsConnect({ servers: services.natsUrl() });
    const jsm = await nc.jetstreamManager();
    const stream = uniqueName('e2e_backlog').replace(/[^A-Za-z0-9_-]/g, '_');
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });

    // The sink answers 503 for its first 20 s.
    const sink = await startSubscriber(['--fail-ms', '20000']);
    const gw = await startGateway(
      renderConfig('source-backlog.yaml', {
        url: services.rabbitmqUrl(),
        queue,
        bootstrap: services.kafkaBrokers().join(','),
        topic,
        group: uniqueName('e2e-backlog'),
        natsUrl: services.natsUrl(),
        stream,
        sinkUrl: sink.url,
      }),
    );
    const headers = (id: string) => ({
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': 't',
      'ce-source': '/e2e',
    });
    for (let i = 0; i < N; i++) {
      channel.sendToQueue(queue, Buffer.from('{}'), {
        contentType: 'application/json',
        headers: headers(`r-${i}`),
      });
    }
    await producer.send({
      topic,
      messages: Array.from({ length: N }, (_, i) => ({
        value: '{}',
        headers: { ce_specversion: '1.0', ce_id: `k-${i}`, ce_type: 't', ce_source: '/e2e' },
      })),
    });
    const js = nc.jetstream();
    for (let i = 0; i < N; i++) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(headers(`n-${i}`))) h.set(k, v);
      await js.publish(`${stream}.in`, new TextEncoder().encode('{}'), { headers: h });
    }
    const rabbit = 'RabbitmqSource shop/queue-in';
    const natsSource = 'NatsSource shop/stream-in';
    const kafkaSource = 'KafkaSource shop/topic-in';
    await expect.poll(() => backlogOf(gw.url, rabbit), { timeout: 15_000, interval: 500 }).toBe(N);
    await expect.poll(() => backlogOf(gw.url, kafkaSource), { timeout: 15_000, interval: 500 }).toBe(N);
    await expect.poll(() => backlogOf(gw.url, natsSource), { timeout: 15_000, interval: 500 }).toBe(N);

    const tally = new RequestTally(sink);
    await tally.until((t) => t.ids.size === 3 * N, 60_000, 'every event delivered once the sink answers');
    await expect.poll(() => backlogOf(gw.url, rabbit), { timeout: 15_000, interval: 500 }).toBe(0);
    await expect.poll(() => backlogOf(gw.url, kafkaSource), { timeout: 15_000, interval: 500 }).toBe(0);
    await expect.poll(() => backlogOf(gw.url, natsSource), { timeout: 15_000, interval: 500 }).toBe(0);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
    await jsm.streams.delete(stream);
    await Promise.all([admin.disconnect(), producer.disconnect(), connection.close(), nc.close()]);
  }, 120_000);
});
