/**
 * The connector runtime reconciling Sources and Sinks with each new configuration, in-process on
 * a real NATS server: unchanged ones keep running, changed ones restart, removed ones stop.
 */
import { type AddressableSender, type LoadedConfig, parseConfigText, silentLogger } from '@meshgate/core';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorRuntime } from '../../packages/gateway/src/connectors/index.js';
import { services, uniqueName } from '../support/services.js';
import { sleep } from './support.js';

let nc: NatsConnection;
beforeAll(async () => {
  nc = await connect({ servers: services.natsUrl() });
});
afterAll(async () => {
  await nc.close();
});

const delivered: string[] = [];
const sender: AddressableSender = {
  async send(req) {
    delivered.push(String(req.event.attributes.id));
    return { status: 202, headers: {} };
  },
};

function config(sources: Record<string, string>, sinkSubject: string): LoadedConfig {
  const docs = [
    `apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: nats, namespace: shop }
spec: { nats: { servers: ["${services.natsUrl()}"] } }`,
    `apiVersion: meshgate.io/v1alpha1
kind: NatsSink
metadata: { name: out, namespace: shop }
spec: { connection: nats, subject: ${sinkSubject}, jetstream: false }`,
    ...Object.entries(sources).map(
      ([name, subject]) => `apiVersion: meshgate.io/v1alpha1
kind: NatsSource
metadata: { name: ${name}, namespace: shop }
spec:
  connection: nats
  subject: ${subject}
  sink: { uri: "http://127.0.0.1:9/sink" }`,
    ),
  ];
  return parseConfigText(docs.join('\n---\n'));
}

async function publishUntil(subject: string, id: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  // Core NATS is at most once: publish until the (just subscribed) source has it.
  while (!delivered.includes(id)) {
    if (Date.now() > deadline) throw new Error(`${id} never delivered`);
    nc.publish(subject, JSON.stringify({ specversion: '1.0', id, source: '/t', type: 't' }), {});
    await sleep(100);
  }
}

describe('connector runtime reconcile', () => {
  it('keeps unchanged sources running, restarts changed ones, stops removed ones; replaces changed sinks', async () => {
    const runtime = createConnectorRuntime();
    const ctx = { selfUrl: 'http://127.0.0.1:1', sender, logger: silentLogger };
    const [a, b, b2, c] = ['a', 'b', 'b2', 'c'].map((p) => uniqueName(`reconcile-${p}`)) as [
      string,
      string,
      string,
      string,
    ];
    try {
      await runtime.apply(config({ s1: a, s2: b }, 'out.one'), ctx);
      expect(
        runtime
          .list()
          .sources.map((s) => s.key)
          .sort(),
      ).toEqual(['NatsSource shop/s1', 'NatsSource shop/s2']);
      const sinkBefore = runtime.sink('shop', 'out');
      expect(sinkBefore).toBeDefined();
      await publishUntil(a, 'first');
      const received = () =>
        Object.fromEntries(runtime.list().sources.map((s) => [s.key, s.counters.received]));
      expect(received()['NatsSource shop/s1']).toBeGreaterThan(0);

      // s1 unchanged, s2 on a new subject, s3 new; the sink's subject changed.
      await runtime.apply(config({ s1: a, s2: b2, s3: c }, 'out.two'), ctx);
      const after = received();
      expect(after['NatsSource shop/s1']).toBeGreaterThan(0); // same runtime, counters kept
      expect(after['NatsSource shop/s2']).toBe(0); // restarted
      expect(after['NatsSource shop/s3']).toBe(0);
      expect(runtime.sink('shop', 'out')).not.toBe(sinkBefore);
      await publishUntil(b2, 'on-new-subject');

      // Unchanged configuration: nothing restarts.
      const sinkNow = runtime.sink('shop', 'out');
      await runtime.apply(config({ s1: a, s2: b2, s3: c }, 'out.two'), ctx);
      expect(runtime.sink('shop', 'out')).toBe(sinkNow);
      expect(received()['NatsSource shop/s2']).toBeGreaterThan(0);

      await runtime.apply(config({ s1: a }, 'out.two'), ctx);
      expect(runtime.list().sources.map((s) => s.key)).toEqual(['NatsSource shop/s1']);
      expect(runtime.notReady()).toEqual([]);
    } finally {
      await runtime.close();
    }
    expect(runtime.list().sources).toEqual([]);
  });

  it('changes nothing when a new configuration has a resource it cannot build', async () => {
    const runtime = createConnectorRuntime();
    const ctx = { selfUrl: 'http://127.0.0.1:1', sender, logger: silentLogger };
    const subject = uniqueName('reconcile-keep');
    try {
      await runtime.apply(config({ s1: subject }, 'out.one'), ctx);
      const sink = runtime.sink('shop', 'out');
      // The sink changes subject, but a new source sits on a RabbitMQ Connection with TLS
      // settings the RabbitMQ components cannot take: refused when built, so the sink must not
      // change either.
      const bad = parseConfigText(`apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: nats, namespace: shop }
spec: { nats: { servers: ["${services.natsUrl()}"] } }
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: rabbittls, namespace: shop }
spec: { rabbitmq: { url: "amqp://127.0.0.1:1/", tls: { caCert: CA-PEM } } }
---
apiVersion: meshgate.io/v1alpha1
kind: NatsSink
metadata: { name: out, namespace: shop }
spec: { connection: nats, subject: out.changed, jetstream: false }
---
apiVersion: meshgate.io/v1alpha1
kind: RabbitmqSource
metadata: { name: s2, namespace: shop }
spec:
  connection: rabbittls
  rabbitmqResourcesConfig: { queueName: ${subject}, predeclared: true }
  sink: { uri: "http://127.0.0.1:9/sink" }`);
      await expect(runtime.apply(bad, ctx)).rejects.toThrow(/spec.rabbitmq.tls supports only enable/);
      // Neither the sink replaced nor s1 (absent from the new configuration) stopped.
      expect(runtime.sink('shop', 'out')).toBe(sink);
      expect(runtime.list().sources.map((s) => s.key)).toEqual(['NatsSource shop/s1']);
    } finally {
      await runtime.close();
    }
  });
});
