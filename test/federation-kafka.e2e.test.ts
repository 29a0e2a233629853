/**
 * Issue 6's first test with real brokers and gateway processes: records produced to Kafka at east
 * (a KafkaSource into the federated Broker, itself on a Kafka channel) reach a Trigger at west,
 * whose copy of the Broker lives in RabbitMQ; with a filter, only matching events arrive and only
 * they cross the link.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/ports.js';
import { startMeshgate, startSubscriber } from './support/processes.js';
import { services, uniqueName } from './support/services.js';

const TOKEN = 'kafka-rabbit-shared-token';

function configFile(id: string, yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), `meshgate-${id}-`)), 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

const federatedBroker = (connection: string, channel: string) => `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: mesh
  annotations: { meshgate.io/federated: "true", meshgate.io/channel-topic: ${channel} }
spec:
  config: { apiVersion: meshgate.io/v1alpha1, kind: Connection, name: ${connection} }
`;

describe('federation over Kafka (east) and RabbitMQ (west)', () => {
  it('Kafka records at east reach the matching Trigger at west; only matching events cross', async () => {
    const brokers = services.kafkaBrokers();
    const topic = uniqueName('orders');
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const east = `http://127.0.0.1:${eastPort}`;
    const west = `http://127.0.0.1:${westPort}`;
    const sink = await startSubscriber();

    const westGw = startMeshgate(
      [
        'start',
        '-f',
        configFile(
          'west',
          `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: west }
spec: { id: west }
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: rabbit, namespace: mesh }
spec:
  rabbitmq:
    url: { valueFrom: { env: RABBITMQ_URL } }
---
${federatedBroker('rabbit', uniqueName('meshgate.west'))}---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: east, namespace: mesh }
spec: { url: "${east}", token: "${TOKEN}" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: display, namespace: mesh }
spec:
  broker: default
  filter: { attributes: { type: order.created } }
  subscriber: { uri: "${sink.url}" }
`,
        ),
        '--port',
        String(westPort),
      ],
      { RABBITMQ_URL: services.rabbitmqUrl() },
    );
    const eastGw = startMeshgate([
      'start',
      '-f',
      configFile(
        'east',
        `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: east }
spec: { id: east }
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: kafka, namespace: mesh }
spec:
  kafka: { bootstrapServers: ${JSON.stringify(brokers)} }
---
${federatedBroker('kafka', uniqueName('meshgate.east'))}---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: west, namespace: mesh }
spec: { url: "${west}", token: "${TOKEN}" }
---
apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata: { name: orders, namespace: mesh }
spec:
  bootstrapServers: ${JSON.stringify(brokers)}
  topics: [${topic}]
  consumerGroup: ${uniqueName('east-orders')}
  initialOffset: earliest
  sink:
    ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: default }
`,
      ),
      '--port',
      String(eastPort),
    ]);
    await westGw.waitFor(/meshgate started/, 30_000);
    await eastGw.waitFor(/meshgate started/, 30_000);
    await new Promise((r) => setTimeout(r, 2_500));

    // 30 binary-mode CloudEvents records; 1 in 10 is an order.created.
    const producer = new Kafka({ clientId: 'federation-test', brokers, logLevel: logLevel.NOTHING }).producer(
      {
        allowAutoTopicCreation: true,
      },
    );
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 30 }, (_, i) => ({
        key: `k${i}`,
        value: JSON.stringify({ n: i }),
        headers: {
          ce_specversion: '1.0',
          ce_id: `rec-${i}`,
          ce_source: '/shop',
          ce_type: i % 10 === 0 ? 'order.created' : 'page.viewed',
          'content-type': 'application/json',
        },
      })),
    });
    await producer.disconnect();

    await expect.poll(() => sink.requests().length, { timeout: 30_000 }).toBe(3);
    const link = async () =>
      (
        (await (await fetch(`${east}/api/v1/peers`)).json()) as {
          items: { id: string; counters: { forwarded: number; filteredOut: number } }[];
        }
      ).items.find((p) => p.id === 'west')?.counters;
    // Every record has gone through east's forwarding subscription once it counted all 30.
    await expect
      .poll(
        async () => {
          const c = await link();
          return (c?.forwarded ?? 0) + (c?.filteredOut ?? 0);
        },
        { timeout: 15_000 },
      )
      .toBe(30);
    await new Promise((r) => setTimeout(r, 500));
    expect(await link()).toMatchObject({ forwarded: 3, filteredOut: 27 });
    const got = sink
      .requests()
      .map((r) => [r.headers['ce-id'], r.headers['ce-type'], r.headers['ce-meshgateroute']]);
    expect(got.sort()).toEqual([
      ['rec-0', 'order.created', 'east'],
      ['rec-10', 'order.created', 'east'],
      ['rec-20', 'order.created', 'east'],
    ]);
    await eastGw.stop();
    await westGw.stop();
  }, 60_000);
});
