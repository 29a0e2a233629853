/** `meshgate start`, `display`, `send` and `validate` as real processes, as a user runs them. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postEvent } from './support/gateway.js';
import { startMeshgate, startSubscriber } from './support/processes.js';

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'meshgate-cli-')), name);
  writeFileSync(file, text);
  return file;
}

describe('meshgate CLI', () => {
  it('start + display + send: an event sent to a Broker is printed by the display sink', async () => {
    const display = startMeshgate(['display', '--port', '0', '--json']);
    const displayUrl = (await display.waitFor(/listening on (http:\/\/\S+)/))[1] as string;
    const config = tempFile(
      'gateway.yaml',
      `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: shop }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orders, namespace: shop }
spec:
  broker: default
  filters:
    - cesql: "type LIKE 'com.example.order.%' AND subject = 'eu'"
  subscriber: { uri: ${displayUrl} }
`,
    );
    const gateway = startMeshgate(['start', '-f', config, '--port', '0']);
    const started = await gateway.waitFor(/"url":"(http:\/\/[^"]+)".*"msg":"meshgate started"/);
    const brokerUrl = `${started[1]}/shop/default`;

    for (const subject of ['us', 'eu']) {
      const send = startMeshgate([
        'send',
        '--to',
        brokerUrl,
        '--type',
        'com.example.order.created',
        '--source',
        '/cli-test',
        '--subject',
        subject,
        '--id',
        `order-${subject}`,
        '--data',
        '{"total": 12.5}',
      ]);
      expect(await send.exited()).toBe(0);
      expect(send.lines[0]).toBe('202');
    }
    const lines = await display.waitForLines((l) => l.startsWith('{'), 1);
    const event = JSON.parse(lines[0] as string) as Record<string, string>;
    expect(event.id).toBe('order-eu');
    expect(event.type).toBe('com.example.order.created');
    expect(Buffer.from(event.data_base64 as string, 'base64').toString()).toBe('{"total": 12.5}');
    // Give the filtered-out event time to (wrongly) arrive before asserting it did not.
    await new Promise((r) => setTimeout(r, 300));
    expect(display.lines.filter((l) => l.startsWith('{'))).toHaveLength(1);

    expect(await gateway.stop('SIGTERM')).toBe(0);
    await display.stop();
  });

  it('start reloads a changed file: a new Trigger starts; a broken file is refused and the old config keeps running', async () => {
    const sub = await startSubscriber();
    const broker =
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: default, namespace: shop }\n';
    const config = tempFile('gateway.yaml', broker);
    const gateway = startMeshgate(['start', '-f', config, '--port', '0']);
    const url = (await gateway.waitFor(/"url":"(http:\/\/[^"]+)".*"msg":"meshgate started"/))[1] as string;
    writeFileSync(
      config,
      `${broker}---\napiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: all, namespace: shop }\nspec: { broker: default, subscriber: { uri: ${sub.url} } }\n`,
    );
    await gateway.waitFor(/configuration reloaded/);
    expect((await postEvent(`${url}/shop/default`, { type: 'a' })).status).toBe(202);
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(1);

    writeFileSync(config, `${broker}---\nkind: Nope\n`);
    await gateway.waitFor(/configuration refused/);
    expect((await postEvent(`${url}/shop/default`, { type: 'b' })).status).toBe(202);
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(2);
    await gateway.stop();
  });

  it('start exits 1 with the reason when the first configuration cannot be applied', async () => {
    // Loads (the secret is read at apply time), but the KafkaSink's protocol is unknown.
    const file = tempFile(
      'unusable.yaml',
      `apiVersion: eventing.knative.dev/v1alpha1
kind: KafkaSink
metadata: { name: out, namespace: shop }
spec:
  topic: t
  bootstrapServers: [127.0.0.1:9092]
  auth: { secret: { ref: { name: kafka-auth } } }
`,
    );
    const proc = startMeshgate(['start', '-f', file, '--port', '0', '--no-watch'], {
      KAFKA_AUTH_PROTOCOL: 'KERBEROS',
    });
    expect(await proc.exited()).toBe(1);
    expect(`${proc.lines.join('\n')}${proc.stderr()}`).toContain(
      'KafkaSink shop/out: unsupported protocol KERBEROS in its auth secret',
    );
  });

  it('validate exits 1 naming the file, the document and the field', async () => {
    const bad = tempFile(
      'bad.yaml',
      `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: shop }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: shop }
spec:
  broker: default
  filters:
    - cesql: "type = = 'x'"
  subscriber: { uri: http://example.com }
`,
    );
    const proc = startMeshgate(['validate', '-f', bad]);
    expect(await proc.exited()).toBe(1);
    const out = proc.lines.join('\n');
    expect(out).toContain('bad.yaml');
    expect(out).toMatch(/spec\.filters\[0\]\.cesql/);
  });

  it('validate accepts a good file', async () => {
    const good = tempFile(
      'good.yaml',
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: default }\n',
    );
    const proc = startMeshgate(['validate', '-f', good]);
    expect(await proc.exited()).toBe(0);
    expect(proc.lines.join('\n')).toMatch(/^ok/);
  });
});
