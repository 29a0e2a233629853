/**
 * An in-process gateway for integration tests, configured from YAML text as a user would write
 * it, listening on a real port. Subscribers are real processes (see processes.ts).
 */
import { parseConfigText, silentLogger } from '@meshgate/core';
import { Gateway, modelFromConfig } from '@meshgate/gateway';
import { afterAll } from 'vitest';

const started = new Set<Gateway>();
afterAll(async () => {
  for (const g of started) await g.stop();
});

export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** Applies new YAML to the running gateway (a reload). */
  reload(yaml: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startGateway(yaml: string): Promise<TestGateway> {
  const gateway = new Gateway({ logger: silentLogger });
  started.add(gateway);
  await gateway.listen('127.0.0.1', 0);
  const apply = (text: string) =>
    gateway.apply(modelFromConfig(parseConfigText(text, 'test.yaml'), { selfUrl: gateway.url }));
  await apply(yaml);
  return {
    gateway,
    url: gateway.url,
    reload: apply,
    stop: async () => {
      started.delete(gateway);
      await gateway.stop();
    },
  };
}

/** YAML for a memory Broker `test/default` (the namespace and broker the helpers below use). */
export function brokerYaml(delivery?: string, annotations?: Record<string, string>): string {
  const ann = annotations
    ? `\n  annotations:\n${Object.entries(annotations)
        .map(([k, v]) => `    ${k}: "${v}"`)
        .join('\n')}`
    : '';
  return `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: test${ann}
${delivery ? `spec:\n  delivery:\n${indent(delivery, 4)}\n` : ''}`;
}

export function triggerYaml(name: string, subscriber: string, extra = ''): string {
  return `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: ${name}
  namespace: test
spec:
  broker: default
  subscriber:
    uri: ${subscriber}
${extra ? indent(extra, 2) : ''}
`;
}

function indent(text: string, n: number): string {
  return text
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

/** Posts a binary-mode CloudEvent; returns the status and body. */
export async function postEvent(
  url: string,
  attrs: { type: string; id?: string; source?: string; [ext: string]: string | undefined },
  data: string | Buffer = '{"hello":"world"}',
  contentType = 'application/json',
): Promise<{ status: number; body: string; headers: Headers }> {
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': attrs.id ?? crypto.randomUUID(),
    'ce-source': attrs.source ?? '/test',
    'content-type': contentType,
  };
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && k !== 'id' && k !== 'source') headers[`ce-${k}`] = v;
  const res = await fetch(url, { method: 'POST', headers, body: data });
  return { status: res.status, body: await res.text(), headers: res.headers };
}
