/** `meshgate status` and `meshgate tail` as real processes against a real `meshgate start` with an admin token. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { postEvent } from './support/gateway.js';
import { startMeshgate, startSubscriber } from './support/processes.js';

const TOKEN = 'cli-test-token';
let url: string;

beforeAll(async () => {
  const sub = await startSubscriber();
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-ops-cli-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: ops-cli }
spec:
  admin:
    token: { valueFrom: { env: MESHGATE_ADMIN_TOKEN } }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: shop }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orders, namespace: shop }
spec:
  broker: default
  filter: { attributes: { type: order.created } }
  subscriber: { uri: ${sub.url} }
`,
  );
  const gateway = startMeshgate(['start', '-f', file, '--port', '0', '--no-watch'], {
    MESHGATE_ADMIN_TOKEN: TOKEN,
  });
  url = (await gateway.waitFor(/"url":"(http:\/\/[^"]+)".*"msg":"meshgate started"/, 30_000))[1] as string;
  for (let i = 0; i < 3; i++) await postEvent(`${url}/shop/default`, { type: 'order.created' });
  const deadline = Date.now() + 10_000;
  while (sub.requests().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
});

describe('meshgate status and tail', () => {
  it('status prints readiness, brokers and triggers with their counters', async () => {
    const status = startMeshgate(['status', '--url', url, '--token', TOKEN]);
    expect(await status.exited()).toBe(0);
    const out = status.lines.join('\n');
    expect(out).toMatch(/gateway http:\/\/127\.0\.0\.1:\d+: ready/);
    expect(out).toMatch(/shop\/default\s+memory\s+ready\s+3\s+0\s+1/);
    expect(out).toMatch(/shop\/orders\s+default\s+http:\/\/127\.0\.0\.1:\d+\s+3\s+3\s+0\s+0\s+0\s+0/);
  });

  it('status fails naming a 401 without the token, and an unreachable gateway', async () => {
    const noToken = startMeshgate(['status', '--url', url], { MESHGATE_ADMIN_TOKEN: '' });
    const unreachable = startMeshgate(['status', '--url', 'http://127.0.0.1:1']);
    expect(await noToken.exited()).toBe(1);
    expect(noToken.stderr()).toMatch(/401/);
    expect(await unreachable.exited()).toBe(1);
    expect(unreachable.stderr()).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  it('tail prints the events that pass its CESQL filter as they arrive', async () => {
    const tail = startMeshgate(
      ['tail', 'shop/default', '--url', url, '--filter', "subject = 'eu'", '--json'],
      {
        MESHGATE_ADMIN_TOKEN: TOKEN,
      },
    );
    await tail.waitFor(/meshgate tail shop\/default/);
    // The stream may still be opening: publish until the event shows.
    await expect
      .poll(
        async () => {
          await postEvent(`${url}/shop/default`, { type: 'order.created', subject: 'us', id: 'skip' });
          await postEvent(
            `${url}/shop/default`,
            { type: 'order.created', subject: 'eu', id: 'show' },
            '{"n":1}',
          );
          return tail.lines.length;
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBeGreaterThan(0);
    const first = JSON.parse(tail.lines[0] as string) as { attributes: Record<string, string>; data: string };
    expect(first.attributes).toMatchObject({ id: 'show', subject: 'eu', type: 'order.created' });
    expect(first.data).toBe('{"n":1}');
    expect(tail.lines.every((l) => !l.includes('"skip"'))).toBe(true);
    expect(await tail.stop('SIGINT')).toBe(0);
  });

  it('tail refuses a bad filter with the reason', async () => {
    const tail = startMeshgate(['tail', 'shop/default', '--url', url, '--filter', 'subject ='], {
      MESHGATE_ADMIN_TOKEN: TOKEN,
    });
    expect(await tail.exited()).toBe(1);
    expect(tail.stderr()).toMatch(/400 invalid Trigger filter/);
  });
});
