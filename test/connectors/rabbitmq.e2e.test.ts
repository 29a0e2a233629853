/**
 * RabbitMQ end to end (issue 5) with `meshgate start` as a process and a real RabbitMQ:
 * amqplib -> RabbitmqSource -> Broker (RabbitMQ exchange) -> Trigger -> HTTP sink, and
 * HTTP ingress -> Broker -> Trigger -> RabbitmqSink (by ref) -> read back with amqplib.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubscriber } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import { postEvent, RequestTally, renderConfig, sleep, startGateway } from './support.js';

let connection: amqp.ChannelModel;
let channel: amqp.Channel;

beforeAll(async () => {
  connection = await amqp.connect(services.rabbitmqUrl());
  channel = await connection.createChannel();
});
afterAll(async () => {
  await connection.close();
});

describe('RabbitMQ end to end', () => {
  it('amqplib -> RabbitmqSource -> Broker -> Trigger -> HTTP sink, and HTTP -> Broker -> Trigger -> RabbitmqSink -> amqplib', async () => {
    const inQueue = uniqueName('e2e-rabbit-in');
    const outQueue = uniqueName('e2e-rabbit-out');
    await channel.assertQueue(inQueue, { durable: false, autoDelete: false });
    await channel.assertQueue(outQueue, { durable: false, autoDelete: false });
    const http = await startSubscriber();
    const gw = await startGateway(
      renderConfig('rabbitmq.yaml', {
        url: services.rabbitmqUrl(),
        exchange: uniqueName('e2e-rabbit-broker'),
        inQueue,
        outQueue,
        httpUrl: http.url,
      }),
    );

    // In: a binary-mode CloudEvent published with the native client.
    const data = Buffer.from([1, 2, 3, 0xff, 0x00]);
    channel.sendToQueue(inQueue, data, {
      contentType: 'application/octet-stream',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'r-in-1',
        'ce-type': 'com.example.in',
        'ce-source': '/e2e/rabbitmq',
      },
    });
    const tally = new RequestTally(http);
    await tally.until((t) => t.ids.has('r-in-1'), 20_000, 'the event at the HTTP sink');
    const got = http.requests().find((r) => r.headers['ce-id'] === 'r-in-1');
    expect(got?.headers['ce-type']).toBe('com.example.in');
    expect(got?.headers['ce-source']).toBe('/e2e/rabbitmq');
    expect(got?.body.equals(data)).toBe(true);

    // Out: HTTP ingress to the Broker, delivered by a Trigger to the RabbitmqSink.
    const res = await postEvent(`${gw.url}/shop/default`, 'r-out-1', 'com.example.out', '{"n":1}');
    expect(res.status).toBe(202);
    let message: amqp.GetMessage | false = false;
    const deadline = Date.now() + 20_000;
    while (!message && Date.now() < deadline) {
      message = await channel.get(outQueue, { noAck: true });
      if (!message) await sleep(100);
    }
    if (!message) throw new Error('nothing arrived in the RabbitmqSink queue');
    expect(message.properties.headers?.['ce-id']).toBe('r-out-1');
    expect(message.properties.headers?.['ce-type']).toBe('com.example.out');
    expect(message.properties.deliveryMode).toBe(2);
    expect(message.content.toString()).toBe('{"n":1}');
    // Only the matching Trigger delivered: the HTTP sink did not get the outbound event.
    expect(tally.update().ids.has('r-out-1')).toBe(false);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
    await channel.deleteQueue(inQueue);
    await channel.deleteQueue(outQueue);
  });

  it('predeclared: false declares the queue, a topic exchange and the binding, then consumes', async () => {
    const queue = uniqueName('e2e-declared');
    const exchange = uniqueName('e2e-declared-x');
    const sink = await startSubscriber();
    const gw = await startGateway(
      renderConfig('rabbitmq-declare.yaml', {
        url: services.rabbitmqUrl(),
        queue,
        exchange,
        sinkUrl: sink.url,
      }),
    );
    // Declared by the gateway, durable, bound with the routing key.
    expect((await channel.checkQueue(queue)).queue).toBe(queue);
    const headers = (id: string) => ({
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': 't',
      'ce-source': '/e2e',
    });
    channel.publish(exchange, 'orders.created', Buffer.from('{}'), { headers: headers('d-1') });
    channel.publish(exchange, 'payments.done', Buffer.from('{}'), { headers: headers('d-2') }); // not bound
    const tally = new RequestTally(sink);
    await tally.until((t) => t.ids.has('d-1'), 20_000, 'the event routed through the declared binding');
    await sleep(500);
    expect([...tally.update().ids.keys()]).toEqual(['d-1']);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
    await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
  });
});
