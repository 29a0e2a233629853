/**
 * Operability end to end: an in-process gateway with the ops features installed, real
 * subscriber processes, and the admin API read over HTTP as an operator would.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseConfigText, silentLogger } from '@meshgate/core';
import { Gateway, modelFromConfig } from '@meshgate/gateway';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { installOps } from '../packages/gateway/src/ops/index.js';
import { brokerYaml, postEvent, triggerYaml } from './support/gateway.js';
import { startSubscriber } from './support/processes.js';

/**
 * An in-process gateway with the ops features installed before it listens (the Gateway reads
 * its extra routes when it starts listening), stopped when the file ends.
 */
const opsGateways = new Set<{ stop(): Promise<void> }>();
afterAll(async () => {
  for (const g of opsGateways) await g.stop();
});

async function startOpsGateway(yaml: string, token?: string) {
  const gateway = new Gateway({ logger: silentLogger });
  const ops = installOps(gateway, { ...(token && { adminToken: token }) });
  opsGateways.add(gateway);
  await gateway.listen('127.0.0.1', 0);
  await gateway.apply(modelFromConfig(parseConfigText(yaml, 'test.yaml'), { selfUrl: gateway.url }));
  return { gateway, ops, url: gateway.url };
}

const withOps = startOpsGateway;

async function getJson(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { items?: unknown[] } };
}

/** Opens a live tail and collects its `cloudevent` messages. */
async function openTail(url: string) {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
  const events: { attributes: Record<string, unknown>; data?: string }[] = [];
  const body = res.body;
  if (res.status === 200 && body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith('event: cloudevent')) {
              const data = block.split('\n').find((l) => l.startsWith('data: '));
              if (data) events.push(JSON.parse(data.slice(6)));
            }
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { status: res.status, res, events, close: () => abort.abort() };
}

function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('ops: metrics, dead letters, live tail, topology, token', () => {
  it('counts in /metrics and the admin API match the events sent', async () => {
    const sub = await startSubscriber();
    const gw = await withOps(
      brokerYaml() + triggerYaml('orders', sub.url, 'filter:\n  attributes:\n    type: order.created'),
    );
    for (let i = 0; i < 7; i++) await postEvent(`${gw.url}/test/default`, { type: 'order.created' });
    for (let i = 0; i < 3; i++) await postEvent(`${gw.url}/test/default`, { type: 'other' });
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(7);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metricValue(metrics, 'meshgate_broker_events_received_total', 'broker="test/default"')).toBe(10);
    await expect
      .poll(async () =>
        metricValue(
          await (await fetch(`${gw.url}/metrics`)).text(),
          'meshgate_trigger_events_total',
          'trigger="test/orders",outcome="delivered"',
        ),
      )
      .toBe(7);
    const trigger = await getJson(`${gw.url}/api/v1/triggers/test/orders`);
    expect(trigger.body.counters).toMatchObject({ received: 7, delivered: 7, deadLettered: 0 });
  });

  it('lists recent dead letters with their error, without data unless asked', async () => {
    const bad = await startSubscriber(['--fail', '100:500']);
    const dls = await startSubscriber();
    const gw = await withOps(
      brokerYaml(`retry: 0\ndeadLetterSink:\n  uri: ${dls.url}`) + triggerYaml('doomed', bad.url),
    );
    await postEvent(`${gw.url}/test/default`, { type: 'x', id: 'dead-1' }, '{"n":1}');
    await postEvent(`${gw.url}/test/default`, { type: 'x', id: 'dead-2' }, '{"n":2}');
    await expect.poll(() => dls.requests().length, { timeout: 10_000 }).toBe(2);
    await expect
      .poll(
        async () => (await getJson(`${gw.url}/api/v1/deadletters?trigger=test/doomed`)).body.items?.length,
      )
      .toBe(2);
    const { body } = await getJson(`${gw.url}/api/v1/deadletters?trigger=test/doomed`);
    const items = body.items as {
      trigger: string;
      error: string;
      event: { attributes: { id: string }; data?: string; dataSize: number };
    }[];
    expect(items.map((d) => d.event.attributes.id).sort()).toEqual(['dead-1', 'dead-2']);
    expect(items[0]?.trigger).toBe('test/doomed');
    expect(items[0]?.error).toMatch(/500/);
    expect(items[0]?.event.data).toBeUndefined();
    expect(items[0]?.event.dataSize).toBe(7);
    const withData = await getJson(`${gw.url}/api/v1/deadletters?data=true`);
    expect((withData.body.items as { event: { data?: string } }[]).map((d) => d.event.data).sort()).toEqual([
      '{"n":1}',
      '{"n":2}',
    ]);
    expect((await getJson(`${gw.url}/api/v1/deadletters?trigger=test/nope`)).status).toBe(404);
  });

  it('tails a Broker over SSE, respecting a CESQL filter, and a Trigger through its own filter', async () => {
    const sub = await startSubscriber();
    const gw = await withOps(
      brokerYaml() + triggerYaml('only-b', sub.url, 'filter:\n  attributes:\n    type: b'),
    );
    const cesql = encodeURIComponent("type LIKE 'keep.%'");
    const tail = await openTail(`${gw.url}/api/v1/brokers/test/default/events?cesql=${cesql}&data=true`);
    const triggerTail = await openTail(`${gw.url}/api/v1/triggers/test/only-b/events`);
    expect(tail.status).toBe(200);
    expect(tail.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(gw.ops.tails.size).toBe(2);
    await postEvent(`${gw.url}/test/default`, { type: 'drop.me', id: 'd1' });
    await postEvent(`${gw.url}/test/default`, { type: 'keep.this', id: 'k1' }, 'hello', 'text/plain');
    await postEvent(`${gw.url}/test/default`, { type: 'b', id: 'b1' });
    await expect.poll(() => tail.events.length).toBe(1);
    expect(tail.events[0]?.attributes).toMatchObject({ id: 'k1', type: 'keep.this', source: '/test' });
    expect(tail.events[0]?.data).toBe('hello');
    await expect.poll(() => triggerTail.events.map((e) => e.attributes.id)).toEqual(['b1']);
    tail.close();
    triggerTail.close();
    await expect.poll(() => gw.ops.tails.size).toBe(0);
  });

  it('refuses a bad tail filter with 400 naming the problem, and an unknown broker with 404', async () => {
    const gw = await withOps(brokerYaml());
    const bad = await fetch(
      `${gw.url}/api/v1/brokers/test/default/events?cesql=${encodeURIComponent('type =')}`,
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('FILTER_INVALID');
    const notJson = await fetch(`${gw.url}/api/v1/brokers/test/default/events?filter=%7Bnope`);
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toMatch(/not JSON/);
    expect((await fetch(`${gw.url}/api/v1/brokers/test/missing/events`)).status).toBe(404);
    expect((await fetch(`${gw.url}/api/v1/brokers/test/%E0%A4%A/events`)).status).toBe(400);
  });

  it('shows the topology with rates, and readiness', async () => {
    const sub = await startSubscriber();
    const gw = await withOps(brokerYaml() + triggerYaml('all', sub.url));
    const first = await getJson(`${gw.url}/api/v1/topology`);
    const nodes = first.body.nodes as { id: string; kind: string; state: string }[];
    expect(nodes.map((n) => n.id).sort()).toEqual(
      ['broker:test/default', 'gateway', `subscriber:${sub.url}`, 'trigger:test/all'].sort(),
    );
    for (let i = 0; i < 20; i++) await postEvent(`${gw.url}/test/default`, { type: 'x' });
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(20);
    const later = await getJson(`${gw.url}/api/v1/topology`);
    const edges = later.body.edges as { id: string; rate: number }[];
    expect(edges.find((e) => e.id === 'ingress:test/default')?.rate).toBeGreaterThan(0);
    expect(edges.find((e) => e.id === 'delivery:test/all')?.rate).toBeGreaterThan(0);
    const ready = await getJson(`${gw.url}/api/v1/readiness`);
    expect(ready).toEqual({ status: 200, body: { ready: true, reasons: [] } });
  });

  it('protects every /api/v1 path with the admin token when one is set', async () => {
    const gw = await withOps(brokerYaml(), 's3cret');
    for (const path of ['/api/v1/brokers', '/api/v1/triggers', '/api/v1/topology', '/api/v1/deadletters']) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
        401,
      );
      expect((await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(
        200,
      );
    }
    expect((await fetch(`${gw.url}/api/v1/topology?access_token=s3cret`)).status).toBe(200);
    // Health, metrics, the page and ingress stay as they were.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/ui`)).status).toBe(200);
    expect((await postEvent(`${gw.url}/test/default`, { type: 'x' })).status).toBe(202);
  });

  it('serves the page, its script and cytoscape at /ui without anything else', async () => {
    const gw = await withOps(brokerYaml());
    const page = await fetch(`${gw.url}/ui`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/ui/assets/app.js');
    const lib = await fetch(`${gw.url}/ui/assets/cytoscape.esm.min.mjs`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${gw.url}/ui/assets/app.js`)).status).toBe(200);
    // A raw request line, so no client normalises the dots away.
    const traversal = await new Promise<number | undefined>((resolve, reject) =>
      request(`${gw.url}/ui/assets/..%2f..%2fpackage.json`, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end(),
    );
    expect(traversal).toBe(404);
    expect((await fetch(`${gw.url}/ui/assets/nope.js`)).status).toBe(404);
  });

  it('documents every /api/v1 route it answers in openapi.yaml, and answers every documented one', async () => {
    const sub = await startSubscriber();
    const gw = await withOps(brokerYaml() + triggerYaml('t', sub.url));
    const served = await fetch(`${gw.url}/api/v1/openapi.yaml`);
    expect(served.status).toBe(200);
    const doc = parse(await served.text()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    const file = parse(readFileSync(new URL('../packages/gateway/openapi.yaml', import.meta.url), 'utf8'));
    expect(file).toEqual(doc);
    const templates = Object.keys(doc.paths);
    const concrete = (t: string) =>
      t.replace('{namespace}', 'test').replace('{name}', t.includes('triggers') ? 't' : 'default');
    // Every documented path answers (SSE paths: headers only).
    for (const t of templates) {
      const abort = new AbortController();
      const res = await fetch(`${gw.url}${concrete(t)}`, { signal: abort.signal });
      expect(res.status, t).toBe(200);
      abort.abort();
    }
    // Every /api/v1 path the server answers is documented: probe the shapes the router knows.
    const probes = [
      '/api/v1/brokers',
      '/api/v1/brokers/test/default',
      '/api/v1/brokers/test/default/events',
      '/api/v1/triggers',
      '/api/v1/triggers/test/t',
      '/api/v1/triggers/test/t/events',
      '/api/v1/deadletters',
      '/api/v1/topology',
      '/api/v1/readiness',
      '/api/v1/openapi.yaml',
      '/api/v1/brokers/test/default/nope',
      '/api/v1/peers',
      '/api/v1/metrics',
      '/api/v1',
      '/api/v1/topology/x',
    ];
    const asRegex = (t: string) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`);
    for (const p of probes) {
      const abort = new AbortController();
      const res = await fetch(`${gw.url}${p}`, { signal: abort.signal });
      abort.abort();
      const documented = templates.some((t) => asRegex(t).test(p));
      expect(res.status === 200, `${p} answered ${res.status}, documented: ${documented}`).toBe(documented);
    }
  });
});
