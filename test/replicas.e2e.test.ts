/**
 * Two replicas of one gateway (same configuration, two processes) on a Kafka-backed Broker: the
 * Trigger's consumer group is shared, so each event reaches the subscriber once (barring
 * retries); kill one replica mid-stream and the other takes over with nothing lost. No
 * clustering of meshgate's own: Kafka's consumer group does the sharing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postEvent } from './support/gateway.js';
import { startMeshgate, startSubscriber } from './support/processes.js';
import { services, uniqueName } from './support/services.js';

describe('replicas of one gateway on a Kafka-backed Broker', () => {
  it('share the Trigger: each event once, and the survivor takes over when one replica is killed', async () => {
    const sink = await startSubscriber();
    const topic = uniqueName('replicas');
    const file = join(mkdtempSync(join(tmpdir(), 'meshgate-replicas-')), 'gateway.yaml');
    writeFileSync(
      file,
      `apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: kafka, namespace: shop }
spec: { kafka: { bootstrapServers: [${services.kafkaBrokers().join(', ')}], clientId: replicas } }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: shop
  annotations: { meshgate.io/channel-topic: ${topic} }
spec:
  config: { apiVersion: meshgate.io/v1alpha1, kind: Connection, name: kafka }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orders, namespace: shop }
spec:
  broker: default
  subscriber: { uri: ${sink.url} }
`,
    );
    const a = startMeshgate(['start', '-f', file, '--port', '0']);
    const b = startMeshgate(['start', '-f', file, '--port', '0']);
    const urlOf = async (p: typeof a) =>
      (await p.waitFor(/"url":"(http:\/\/[^"]+)".*"msg":"meshgate started"/, 30_000))[1] as string;
    const [aUrl, bUrl] = [await urlOf(a), await urlOf(b)];
    // Both replicas joined the group before anything is published ("latest" = now).
    await new Promise((r) => setTimeout(r, 5_000));

    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r-${from + i}`);
    for (const [i, id] of ids(0, 200).entries()) {
      expect((await postEvent(`${i % 2 ? bUrl : aUrl}/shop/default`, { type: 'order', id })).status).toBe(
        202,
      );
    }
    await expect.poll(() => sink.requests().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(200);
    await new Promise((r) => setTimeout(r, 1_000));
    const firstRound = sink.requests().map((r) => r.headers['ce-id']);
    expect(new Set(firstRound).size).toBe(200);
    expect(firstRound.length).toBe(200); // each event once, though two replicas run the Trigger

    await a.stop('SIGKILL');
    for (const id of ids(200, 400))
      expect((await postEvent(`${bUrl}/shop/default`, { type: 'order', id })).status).toBe(202);
    const distinct = () => new Set(sink.requests().map((r) => r.headers['ce-id'])).size;
    // The survivor gets the partition after the killed member's session times out.
    await expect.poll(distinct, { timeout: 60_000, interval: 500 }).toBe(400);
    console.info('replicas:', { published: 400, distinct: distinct(), deliveries: sink.requests().length });
    await b.stop();
  }, 120_000);
});
