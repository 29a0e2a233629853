/**
 * The page at /ui in headless Chromium (Debian's `chromium` package, driven by playwright-core;
 * no browser download): it loads, draws the topology, rates move while events flow, a node shows
 * its details, and the live tail shows a published event. Saves screenshots to test/artifacts/
 * (and docs/images/topology.png with MESHGATE_UPDATE_SCREENSHOT=1).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { parseConfigText, silentLogger } from '@meshgate/core';
import { Gateway, modelFromConfig } from '@meshgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installOps } from '../packages/gateway/src/ops/index.js';
import { postEvent } from './support/gateway.js';
import { startSubscriber } from './support/processes.js';

const CHROMIUM = '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));
const docsImage = fileURLToPath(new URL('../docs/images/topology.png', import.meta.url));

const broker = (name: string, federated = false) => `---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${name}
  namespace: default
${federated ? '  annotations: { meshgate.io/federated: "true" }\n' : ''}`;
const trigger = (name: string, brokerName: string, filter: string, uri: string, delivery = '') => `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name}, namespace: default }
spec:
  broker: ${brokerName}
  ${filter}
  subscriber: { uri: ${uri} }
${delivery}`;
const gatewayAndPeer = (id: string, peer: string, peerUrl: string) => `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: ${id} }
spec: { id: ${id} }
---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: ${peer} }
spec: { url: "${peerUrl}" }
`;

/**
 * Like the demo federation, on memory channels: east (the page under test) shares the Broker
 * default/orders with west, which wants `order.created` for its display Trigger; east also has an
 * audit Trigger and a payments Broker whose Trigger always fails into a dead-letter sink.
 */
function eastYaml(westUrl: string, audit: string, failing: string, dls: string): string {
  return [
    gatewayAndPeer('east', 'west', westUrl),
    broker('orders', true),
    broker('payments'),
    trigger('audit', 'orders', "filters: [{ prefix: { type: 'order.' } }]", audit),
    trigger(
      'settle',
      'payments',
      'filters: [{ cesql: "type LIKE \'payment.%\'" }]',
      failing,
      `  delivery: { retry: 0, deadLetterSink: { uri: ${dls} } }`,
    ),
  ].join('\n');
}

function westYaml(eastUrl: string, display: string): string {
  return [
    gatewayAndPeer('west', 'east', eastUrl),
    broker('orders', true),
    trigger('display', 'orders', 'filter: { attributes: { type: order.created } }', display),
  ].join('\n');
}

/**
 * In-process gateways with the ops features installed before they listen (the Gateway reads its
 * extra routes when it starts listening), stopped when the file ends.
 */
const opsGateways = new Set<{ stop(): Promise<void> }>();
afterAll(async () => {
  for (const g of opsGateways) await g.stop();
});

async function listeningOpsGateway() {
  const gateway = new Gateway({ logger: silentLogger });
  installOps(gateway);
  opsGateways.add(gateway);
  await gateway.listen('127.0.0.1', 0);
  return {
    url: gateway.url,
    apply: (yaml: string) =>
      gateway.apply(modelFromConfig(parseConfigText(yaml, 'test.yaml'), { selfUrl: gateway.url })),
  };
}

let browser: Browser;
let page: Page;
let gw: { url: string };

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (Debian's chromium package)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const [audit, display, failing, dls] = await Promise.all([
    startSubscriber(),
    startSubscriber(),
    startSubscriber(['--fail', '1000:500']),
    startSubscriber(),
  ]);
  const east = await listeningOpsGateway();
  const west = await listeningOpsGateway();
  await east.apply(eastYaml(west.url, audit.url, failing.url, dls.url));
  await west.apply(westYaml(east.url, display.url));
  gw = east;
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // Nothing may leave the machine: any request not to the gateway fails the test.
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(gw.url)) outside.push(r.url());
  });
  page.on('pageerror', (err) => outside.push(`page error: ${err.message}`));
  afterAll(() => expect(outside).toEqual([]));
});

afterAll(async () => {
  await browser?.close();
});

const nodeIds = () =>
  page.evaluate(() =>
    (
      globalThis as unknown as {
        meshgate: { cy: { nodes(): { map(f: (n: { id(): string }) => string): string[] } } };
      }
    ).meshgate.cy
      .nodes()
      .map((n) => n.id())
      .sort(),
  );

const edge = (id: string) =>
  page.evaluate((edgeId) => {
    const cy = (
      globalThis as unknown as {
        meshgate: { cy: { getElementById(id: string): { data(k: string): unknown } } };
      }
    ).meshgate.cy;
    const e = cy.getElementById(edgeId);
    return { rate: e.data('rate') as number | undefined, label: e.data('label') as string | undefined };
  }, id);

describe('the /ui page', () => {
  it('loads and shows the topology', async () => {
    await page.goto(`${gw.url}/ui`);
    await expect
      .poll(nodeIds, { timeout: 10_000 })
      .toEqual(
        expect.arrayContaining([
          'gateway',
          'broker:default/orders',
          'broker:default/payments',
          'trigger:default/audit',
          'peer:west',
          'trigger:default/settle',
        ]),
      );
    expect((await nodeIds()).filter((id) => id.startsWith('subscriber:'))).toHaveLength(2);
    expect((await nodeIds()).filter((id) => id.startsWith('deadLetterSink:'))).toHaveLength(1);
    await expect.poll(() => page.textContent('#readiness')).toBe('ready');
  });

  it('updates rates on the edges while events flow, and colours a failing Trigger red', async () => {
    expect((await edge('ingress:default/orders')).rate).toBe(0);
    let flowing = true;
    const flow = (async () => {
      for (let i = 0; flowing; i++) {
        await postEvent(`${gw.url}/default/orders`, {
          type: i % 2 ? 'order.created' : 'order.paid',
          subject: 'eu',
        });
        if (i % 5 === 0) await postEvent(`${gw.url}/default/payments`, { type: 'payment.captured' });
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    try {
      await expect
        .poll(async () => (await edge('ingress:default/orders')).rate, { timeout: 15_000 })
        .toBeGreaterThan(0);
      await expect
        .poll(async () => (await edge('forward:west')).rate, { timeout: 15_000 })
        .toBeGreaterThan(0);
      expect((await edge('delivery:default/audit')).label).toMatch(/^\d+(\.\d)?\/s/);
      await expect
        .poll(() =>
          page.evaluate(() =>
            (
              globalThis as unknown as {
                meshgate: { cy: { getElementById(id: string): { data(k: string): unknown } } };
              }
            ).meshgate.cy
              .getElementById('trigger:default/settle')
              .data('state'),
          ),
        )
        .toBe('error');
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}rates.png` });
    } finally {
      flowing = false;
      await flow;
    }
  });

  it('shows a node’s configuration and counters when clicked', async () => {
    // Click the node on the canvas where cytoscape drew it.
    const at = await page.evaluate(() => {
      const cy = (
        globalThis as unknown as {
          meshgate: { cy: { getElementById(id: string): { renderedPosition(): { x: number; y: number } } } };
        }
      ).meshgate.cy;
      const p = cy.getElementById('trigger:default/settle').renderedPosition();
      return { x: p.x, y: p.y };
    });
    const box = await page.locator('#graph').boundingBox();
    if (!box) throw new Error('the graph is not on the page');
    await page.mouse.click(box.x + at.x, box.y + at.y);
    await expect.poll(() => page.textContent('#details-title')).toBe('trigger default/settle');
    expect(await page.textContent('#config')).toContain('payment.%');
    expect(await page.textContent('#counters')).toMatch(/deadLettered\s*[1-9]/);
    expect(await page.isVisible('#deadletters-title')).toBe(true);
  });

  it('tails a Broker with a filter and shows a published event', async () => {
    await page.selectOption('#tail-broker', 'default/orders');
    await page.fill('#tail-filter', "type = 'order.created' AND subject = 'tail-test'");
    await page.click('#tail-start');
    await expect
      .poll(() => page.textContent('#tail-status'), { timeout: 10_000 })
      .toMatch(/^tailing default\/orders/);
    const id = `ui-${Date.now()}`;
    await postEvent(`${gw.url}/default/orders`, {
      type: 'order.created',
      subject: 'other',
      id: `${id}-skip`,
    });
    await expect
      .poll(
        async () => {
          // EventSource may still be connecting: publish until the event shows.
          await postEvent(
            `${gw.url}/default/orders`,
            { type: 'order.created', subject: 'tail-test', id },
            '{"total":42}',
          );
          return page.textContent('#tail-list');
        },
        { timeout: 10_000, interval: 500 },
      )
      .toContain(id);
    const text = (await page.textContent('#tail-list')) ?? '';
    expect(text).toContain('{"total":42}');
    expect(text).not.toContain(`${id}-skip`);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}tail.png` });
  });

  it('refuses a bad filter with the reason', async () => {
    await page.click('#tail-stop');
    await page.fill('#tail-filter', 'type =');
    await page.click('#tail-start');
    await expect.poll(() => page.textContent('#tail-status')).toMatch(/invalid Trigger filter/);
  });

  it('with a node selected, a tail open and events flowing: the screenshot for the docs', async () => {
    await page.fill('#tail-filter', '');
    await page.selectOption('#tail-broker', 'default/orders');
    await page.click('#tail-start');
    await expect.poll(() => page.textContent('#tail-status')).toMatch(/^tailing default\/orders$/);
    let flowing = true;
    const flow = (async () => {
      for (let i = 0; flowing; i++) {
        const type = ['order.created', 'order.paid', 'order.shipped'][i % 3] as string;
        await postEvent(
          `${gw.url}/default/orders`,
          { type, subject: i % 2 ? 'eu' : 'us' },
          `{"order":${1000 + i}}`,
        );
        if (i % 4 === 0) await postEvent(`${gw.url}/default/payments`, { type: 'payment.captured' });
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    try {
      await expect
        .poll(() => page.locator('#tail-list li.event').count(), { timeout: 10_000 })
        .toBeGreaterThan(8);
      await expect
        .poll(async () => (await edge('forward:west')).rate, { timeout: 10_000 })
        .toBeGreaterThan(0);
      await expect.poll(() => page.textContent('#details-title')).toBe('trigger default/settle');
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}topology.png` });
      // The README's picture is refreshed only when asked, so a test run leaves the tree clean.
      if (process.env.MESHGATE_UPDATE_SCREENSHOT === '1') await page.screenshot({ path: docsImage });
    } finally {
      flowing = false;
      await flow;
    }
  });
});
