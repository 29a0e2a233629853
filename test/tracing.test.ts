/**
 * Tracing end to end: gateways exporting OTLP/HTTP JSON to an in-test collector, subscribers in
 * their own processes. One trace spans the producer, gateway A, gateway B (a real `meshgate
 * start` process configured by the standard OTEL_* variables) and the subscriber.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseConfigText, silentLogger } from '@meshgate/core';
import { createConnectorRuntime, Gateway, modelFromConfig } from '@meshgate/gateway';
import { afterAll, describe, expect, it } from 'vitest';
import { tracingFromEnv } from '../packages/gateway/src/ops/index.js';
import { brokerYaml, postEvent, triggerYaml } from './support/gateway.js';
import { freePort } from './support/ports.js';
import { startMeshgate, startSubscriber } from './support/processes.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/** A minimal OTLP/HTTP collector: records the spans of every JSON export it receives. */
async function startCollector(): Promise<{
  url: string;
  spans: ExportedSpan[];
  contentTypes: string[];
  server: Server;
}> {
  const spans: ExportedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      contentTypes.push(String(req.headers['content-type']));
      if (req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) {
        const doc = JSON.parse(body.toString('utf8')) as {
          resourceSpans?: { scopeSpans?: { spans?: ExportedSpan[] }[] }[];
        };
        for (const rs of doc.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, contentTypes, server };
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function tracedGateway(yaml: string, collectorUrl: string) {
  const tracing = tracingFromEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  if (!tracing) throw new Error('tracing should be configured');
  const gateway = new Gateway({ logger: silentLogger, tracer: tracing.tracer });
  await gateway.listen('127.0.0.1', 0);
  await gateway.apply(modelFromConfig(parseConfigText(yaml, 'test.yaml'), { selfUrl: gateway.url }));
  closers.push(async () => {
    await gateway.stop();
    await tracing.shutdown();
  });
  return { gateway, tracing, url: gateway.url };
}

const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
};
const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];

describe('tracing deliveries with OpenTelemetry', () => {
  it("exports a CLIENT span in the producer's trace and passes traceparent to the subscriber", async () => {
    const collector = await startCollector();
    closers.push(() => new Promise((resolve) => collector.server.close(() => resolve())));
    const sub = await startSubscriber();
    const gw = await tracedGateway(brokerYaml() + triggerYaml('traced', sub.url), collector.url);
    const { traceId, traceparent } = newTraceparent();
    expect((await postEvent(`${gw.url}/test/default`, { type: 'x', id: 't1', traceparent })).status).toBe(
      202,
    );
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(1);
    const seen = sub.requests()[0]?.headers;
    expect(traceIdOf(seen?.traceparent)).toBe(traceId);
    // The event keeps its own extension; the W3C header carries the delivery span.
    expect(seen?.['ce-traceparent']).toBe(traceparent);
    await gw.tracing.flush();
    await expect.poll(() => collector.spans.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const span = collector.spans.find((s) => s.name === 'deliver test/traced');
    expect(span?.traceId).toBe(traceId);
    expect(span?.kind).toBe(3); // OTLP SPAN_KIND_CLIENT
    expect(span?.parentSpanId).toBe(traceparent.split('-')[2]);
    expect(span?.spanId).toBe(seen?.traceparent?.split('-')[2]);
    expect(collector.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
  });

  it('one trace spans two gateways: A delivers to B, B to a subscriber', async () => {
    const collector = await startCollector();
    closers.push(() => new Promise((resolve) => collector.server.close(() => resolve())));
    const sub = await startSubscriber();
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-tracing-'));
    const configB = join(dir, 'b.yaml');
    writeFileSync(configB, brokerYaml() + triggerYaml('final', sub.url));
    const b = startMeshgate(['start', '-f', configB, '--port', '0', '--no-watch'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'gateway-b',
    });
    closers.push(async () => {
      await b.stop();
    });
    const bUrl = (await b.waitFor(/"url":"(http:\/\/[^"]+)".*"msg":"meshgate started"/, 30_000))[1] as string;
    const a = await tracedGateway(brokerYaml() + triggerYaml('to-b', `${bUrl}/test/default`), collector.url);

    const { traceId, traceparent } = newTraceparent();
    expect((await postEvent(`${a.url}/test/default`, { type: 'x', id: 'hop', traceparent })).status).toBe(
      202,
    );
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(1);
    expect(sub.requests()[0]?.headers['ce-id']).toBe('hop');
    expect(traceIdOf(sub.requests()[0]?.headers.traceparent)).toBe(traceId);
    await a.tracing.flush();
    // B exports on its own schedule (a batch a second).
    await expect
      .poll(
        () =>
          collector.spans
            .filter((s) => s.traceId === traceId)
            .map((s) => s.name)
            .sort(),
        { timeout: 10_000 },
      )
      .toEqual(['deliver test/final', 'deliver test/to-b']);
  });

  it("an instrumented client's traceparent header starts the trace; a Bridge and a peer link are spans in it", async () => {
    const collector = await startCollector();
    closers.push(() => new Promise((resolve) => collector.server.close(() => resolve())));
    const sub = await startSubscriber();
    const tracing = tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    if (!tracing) throw new Error('tracing should be configured');
    const connectors = createConnectorRuntime();
    const a = new Gateway({ logger: silentLogger, tracer: tracing.tracer, connectors });
    await a.listen('127.0.0.1', 0);
    closers.push(async () => {
      await a.stop();
      await tracing.shutdown();
    });
    // B: a process with the federated Broker and the Trigger to the subscriber.
    const bPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-tracing-'));
    const configB = join(dir, 'b.yaml');
    writeFileSync(configB, federatedYaml('b', 'a', a.url) + triggerYaml('final', sub.url));
    const b = startMeshgate(['start', '-f', configB, '--port', String(bPort), '--no-watch'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: 'gateway-b',
    });
    closers.push(async () => {
      await b.stop();
    });
    await b.waitFor(/"msg":"meshgate started"/, 30_000);
    // A: an HTTP Bridge into its side of the federated Broker, which forwards to B.
    const configA = parseConfigText(
      `${federatedYaml('a', 'b', `http://127.0.0.1:${bPort}`)}---
apiVersion: meshgate.io/v1alpha1
kind: Bridge
metadata: { name: in, namespace: test }
spec:
  source: { http: {} }
  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: default } }
`,
      'a.yaml',
    );
    await a.apply(modelFromConfig(configA, { selfUrl: a.url }), configA);

    const { traceId, traceparent } = newTraceparent();
    // No ce-traceparent: the W3C header of the client's own span is the parent.
    const posted = async () =>
      (
        await fetch(`${a.url}/bridges/test/in`, {
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': 'w3c',
            'ce-type': 'x',
            'ce-source': '/t',
            traceparent,
          },
          body: '',
        })
      ).status;
    // A's forwarding waits for B's first interest announcement, so one POST is enough.
    expect(await posted()).toBe(202);
    await expect.poll(() => sub.requests().length, { timeout: 20_000 }).toBe(1);
    expect(sub.requests()[0]?.headers['ce-traceparent']).toBe(traceparent);
    expect(traceIdOf(sub.requests()[0]?.headers.traceparent)).toBe(traceId);
    await tracing.flush();
    await expect
      .poll(
        () =>
          collector.spans
            .filter((s) => s.traceId === traceId)
            .map((s) => s.name)
            .sort(),
        { timeout: 10_000 },
      )
      .toEqual(['deliver Bridge test/in', 'deliver test/final', 'forward b']);
    const bridgeSpan = collector.spans.find((s) => s.name === 'deliver Bridge test/in');
    expect(bridgeSpan?.parentSpanId).toBe(traceparent.split('-')[2]);
  });
});

/** A federated Broker test/default at gateway `self`, linked to `peer` at `peerUrl`. */
function federatedYaml(self: string, peer: string, peerUrl: string): string {
  return `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: ${self} }
spec: { id: ${self} }
---
${brokerYaml(undefined, { 'meshgate.io/federated': 'true' })}---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: ${peer}, namespace: test }
spec: { url: "${peerUrl}", token: "trace-token" }
`;
}
