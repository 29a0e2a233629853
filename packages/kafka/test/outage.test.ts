// The network to Kafka goes away and comes back (cut in the client's socket factory, so the
// shared broker keeps running for other tests): nothing thrown, status shows it, nothing lost.
import { connect, type Socket } from 'node:net';
import type { MeshgateError } from '@meshgate/core';
import { makeEvent } from '@meshgate/core';
import type { ISocketFactory } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { createKafkaClient } from '../src/client.js';
import { KafkaSink } from '../src/sink.js';
import { KafkaSource } from '../src/source.js';
import { createTopic, deleteTopics, produceRaw } from './helpers.js';

/** A socket factory whose network can be cut: open sockets die, new ones are refused. */
function networkGate() {
  let open = true;
  const sockets = new Set<Socket>();
  const factory: ISocketFactory = ({ host, port, onConnect }) => {
    // Port 9 (discard) on loopback refuses connections: what a client sees of a dead broker.
    const socket = open
      ? connect({ host, port }, onConnect)
      : connect({ host: '127.0.0.1', port: 9 }, onConnect);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
  return {
    factory,
    cut() {
      open = false;
      for (const s of sockets) s.destroy(new Error('network cut'));
    },
    restore() {
      open = true;
    },
  };
}

const topics: string[] = [];
afterAll(async () => {
  await deleteTopics(topics);
});

describe('Kafka unreachable, then back (real broker, cut network)', () => {
  it('the source and the sink report it, retry by themselves, and lose nothing', {
    timeout: 90_000,
  }, async () => {
    const topic = await createTopic('outage');
    topics.push(topic);
    const gate = networkGate();
    const client = createKafkaClient({
      brokers: services.kafkaBrokers(),
      clientId: 'outage-test',
      socketFactory: gate.factory,
    });
    const got = new Set<string>();
    const source = new KafkaSource({
      name: 'outage',
      client,
      topics: [topic],
      groupId: uniqueName('outage'),
      initialOffset: 'earliest',
      ordered: false,
      commitIntervalMs: 100,
      stopGraceMs: 200,
      // The member that lost the network must expire quickly so that the group can settle again.
      sessionTimeoutMs: 6000,
    });
    const sink = new KafkaSink({ name: 'outage', client, topic });
    try {
      await source.start((d) => {
        got.add(Buffer.from(d.event.data!).toString());
        d.ack();
      });
      await produceRaw(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ value: `before-${i}` })),
      );
      await waitUntil('the records written before the outage', () => got.size === 20);
      await sink.send(makeEvent({ specversion: '1.0', id: 'ok', source: '/t', type: 't' }, 'sink-before'));

      gate.cut();
      // Written by a producer that still reaches the broker, while the source cannot.
      await produceRaw(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ value: `during-${i}` })),
      );
      const failed = await sink
        .send(makeEvent({ specversion: '1.0', id: 'cut', source: '/t', type: 't' }, 'sink-during'))
        .then(
          () => undefined,
          (e: MeshgateError) => e,
        );
      expect(failed?.retriable).toBe(true);
      await waitUntil('the source to report the outage', () => source.status().state === 'degraded', 40_000);
      expect(source.status().reason).toMatch(/Kafka/);
      const during = got.size;

      gate.restore();
      const expected = [
        ...Array.from({ length: 20 }, (_, i) => `before-${i}`),
        ...Array.from({ length: 20 }, (_, i) => `during-${i}`),
        'sink-before',
      ];
      await waitUntil(
        'every record, including those written during the outage',
        () => expected.every((v) => got.has(v)),
        60_000,
      );
      expect(during).toBeLessThanOrEqual(21);
      await waitUntil('the source to be ready again', () => source.status().state === 'ready');
      await sink.send(makeEvent({ specversion: '1.0', id: 'back', source: '/t', type: 't' }, 'sink-after'));
      expect(sink.status().state).toBe('ready');
      await waitUntil('the event written after the outage', () => got.has('sink-after'));
    } finally {
      await source.stop();
      await sink.close();
    }
  });
});
