/** Broker ingress over real HTTP: every answer of the contract, and byte-identical passthrough. */
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { brokerYaml, postEvent, startGateway, triggerYaml } from './support/gateway.js';
import { startSubscriber } from './support/processes.js';

describe('broker ingress', () => {
  it('passes binary-mode data through byte-identical, JSON or not', async () => {
    const sub = await startSubscriber();
    const gw = await startGateway(brokerYaml() + triggerYaml('t', sub.url));
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0x80]);
    expect(
      (await postEvent(`${gw.url}/test/default`, { type: 'bin' }, bytes, 'application/octet-stream')).status,
    ).toBe(202);
    const oddJson = '{ "b":1,   "a" : [1,2 ] }';
    expect((await postEvent(`${gw.url}/test/default`, { type: 'json' }, oddJson)).status).toBe(202);
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(2);
    const byType = Object.fromEntries(sub.requests().map((r) => [r.headers['ce-type'], r]));
    expect(byType.bin?.body.equals(bytes)).toBe(true);
    expect(byType.bin?.headers['content-type']).toBe('application/octet-stream');
    expect(byType.json?.body.toString()).toBe(oddJson);
  });

  it('accepts structured and batch mode', async () => {
    const sub = await startSubscriber();
    const gw = await startGateway(brokerYaml() + triggerYaml('t', sub.url));
    const one = { specversion: '1.0', id: 's1', source: '/t', type: 'structured', data: { a: 1 } };
    let res = await request(`${gw.url}/test/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(one),
    });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    res = await request(`${gw.url}/test/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([
        { ...one, id: 'b1' },
        { ...one, id: 'b2' },
      ]),
    });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    await expect
      .poll(
        () =>
          sub
            .requests()
            .map((r) => r.headers['ce-id'])
            .sort(),
        { timeout: 10_000 },
      )
      .toEqual(['b1', 'b2', 's1']);
  });

  it('answers 400, 404, 405, 413 and 415 with a body naming the problem', async () => {
    const gw = await startGateway(brokerYaml(undefined, { 'meshgate.io/max-body-bytes': '1024' }));
    const url = `${gw.url}/test/default`;
    const missingType = await fetch(url, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/t', 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(missingType.status).toBe(400);
    expect(await missingType.text()).toMatch(/type/);

    const badJson = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: '{"id": ',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.text()).toMatch(/JSON/i);

    const badTime = await postEvent(url, { type: 'x', time: 'yesterday' });
    expect(badTime.status).toBe(400);
    expect(badTime.body).toMatch(/time/);

    const unknown = await postEvent(`${gw.url}/test/nope`, { type: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatch(/test\/nope/);

    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toMatch(/POST/);

    const big = await postEvent(url, { type: 'x' }, 'y'.repeat(2048), 'text/plain');
    expect(big.status).toBe(413);
    expect(big.body).toMatch(/1024/);

    const xml = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+xml' },
      body: '<e/>',
    });
    expect(xml.status).toBe(415);

    // The gateway kept serving through all of it.
    expect((await postEvent(url, { type: 'x' })).status).toBe(202);
  });

  it('answers 429 with Retry-After when the broker buffer is full', async () => {
    const stuck = await startSubscriber(['--delay-ms', '20000']);
    const gw = await startGateway(
      brokerYaml('retry: 0\ntimeout: PT30S', { 'meshgate.io/buffer-size': '5' }) +
        triggerYaml('t', stuck.url).replace(
          'name: t',
          'name: t\n  annotations:\n    meshgate.io/max-in-flight: "1"',
        ),
    );
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const r = await postEvent(`${gw.url}/test/default`, { type: 'x' });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('refuses an event whose knativebrokerttl is used up (a loop)', async () => {
    const gw = await startGateway(brokerYaml());
    const r = await postEvent(`${gw.url}/test/default`, { type: 'x', knativebrokerttl: '0' });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/knativebrokerttl/);
  });

  it('turns Kyma legacy events into CloudEvents', async () => {
    const sub = await startSubscriber();
    const gw = await startGateway(
      `${brokerYaml()}---
apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: gw }
spec:
  kyma: { broker: default, namespace: test }
${triggerYaml('orders', sub.url, 'filters:\n  - exact: { type: order.created }\n  - exact: { eventtypeversion: v1 }\n  - exact: { source: commerce }')}`,
    );
    const res = await fetch(`${gw.url}/commerce/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        'event-type': 'order.created',
        'event-type-version': 'v1',
        'event-time': '2026-01-02T03:04:05Z',
        data: { id: 7 },
      }),
    });
    expect(res.status).toBe(200);
    const { 'event-id': id } = (await res.json()) as { 'event-id': string };
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(1);
    const got = sub.requests()[0];
    expect(got?.headers['ce-id']).toBe(id);
    expect(JSON.parse(got?.body.toString() ?? '')).toEqual({ id: 7 });
    const bad = await fetch(`${gw.url}/commerce/v1/events`, {
      method: 'POST',
      body: JSON.stringify({ data: 1 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/event-type/);
  });
});
