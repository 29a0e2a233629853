import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig, parseConfigText } from './index.js';

const examples = fileURLToPath(new URL('../../../../examples/config', import.meta.url));
const exampleEnv = {
  MESHGATE_ADMIN_TOKEN: 'admin-secret',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  PEER_EAST_TOKEN: 'peer-secret',
};

/** The ConfigError thrown by `fn`, or a failed expectation. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshgate-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every example, as a directory, with secrets from the environment', async () => {
    const config = await loadConfig([examples], { env: exampleEnv });
    expect(config.files.map((f) => f.split('/').pop())).toEqual([
      'bridge.yaml',
      'kafka-broker.yaml',
      'knative-kafka.yaml',
    ]);
    expect(config.brokers.map((b) => `${b.metadata.namespace}/${b.metadata.name}`)).toEqual([
      'orders/orders',
      'default/default',
    ]);
    expect(config.triggers).toHaveLength(3);
    expect(config.kafkaSources).toHaveLength(1);
    expect(config.kafkaSinks).toHaveLength(2);
    expect(config.bridges).toHaveLength(2);
    expect(config.sources.map((s) => s.kind)).toEqual(['NatsSource']);
    expect(config.sinks.map((s) => s.kind)).toEqual(['RabbitmqSink']);
    expect([...config.connections.keys()]).toEqual([
      'federation/rabbit',
      'federation/nats',
      'orders/kafka-east',
    ]);
    expect(config.gateway.id).toBe('west');
    expect(config.gateway.admin.token?.reveal()).toBe('admin-secret');
    expect(config.peers[0]?.spec.token?.reveal()).toBe('peer-secret');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.triggers[0]?.spec)).toBe(true);
  });

  it('reads files and directories in the order given, yaml and yml only, sorted, each file once', async () => {
    await writeFile(
      join(dir, 'b.yml'),
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b}\n',
    );
    await writeFile(
      join(dir, 'a.yaml'),
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: a}\n',
    );
    await writeFile(join(dir, 'notes.txt'), 'not yaml: [');
    await writeFile(join(dir, '.#b.yml'), 'an editor lock file: [');
    const config = await loadConfig([dir, join(dir, 'a.yaml')]);
    expect(config.brokers.map((b) => b.metadata.name)).toEqual(['a', 'b']);
    expect(config.files).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yml')]);
  });

  it('names a missing path', async () => {
    const err = await loadConfig([join(dir, 'nope.yaml')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('nope.yaml: no such file or directory');
  });

  it('reports issues from several files at once, each with its file and document', async () => {
    await writeFile(join(dir, 'one.yaml'), '---\nkind: Foo\n');
    await writeFile(
      join(dir, 'two.yaml'),
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: x}\n---\napiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: x}\n',
    );
    const err = (await loadConfig([dir]).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues).toEqual([
      expect.objectContaining({ file: join(dir, 'one.yaml'), document: 0, path: 'kind' }),
      expect.objectContaining({ file: join(dir, 'two.yaml'), document: 1, path: 'metadata.name' }),
    ]);
    expect(err.message).toContain(
      `${join(dir, 'one.yaml')}:0: kind: unknown kind 'Foo' (known: Broker, Trigger,`,
    );
    expect(err.message).toContain(
      `two.yaml:1: metadata.name: duplicate Broker 'default/x' (first defined at ${join(dir, 'two.yaml')}:0)`,
    );
  });
});

describe('parseConfigText errors', () => {
  it('refuses unknown fields with their path and line', () => {
    const err = configErrorOf(() =>
      parseConfigText(
        'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b}\nspec:\n  delivery:\n    retries: 3\n',
        'b.yaml',
      ),
    );
    expect(err.issues).toEqual([
      {
        file: 'b.yaml',
        document: 0,
        path: 'spec.delivery.retries',
        message: "unknown field 'retries' (did you mean 'retry'?) (line 6, column 14)",
      },
    ]);
    expect(err.message).toContain(
      "b.yaml:0: spec.delivery.retries: unknown field 'retries' (did you mean 'retry'?)",
    );
  });

  it('reports broken YAML with line and column', () => {
    const err = configErrorOf(() => parseConfigText('kind: Broker\nmetadata: {name: [b}\n', 'y.yaml'));
    expect(err.issues[0]).toMatchObject({ file: 'y.yaml', document: 0, path: '' });
    expect(err.issues[0]?.message).toMatch(/^YAML syntax error at line 2, column \d+: /);
  });

  it('names a wrong apiVersion for a known kind', () => {
    const err = configErrorOf(() => parseConfigText('apiVersion: v1\nkind: Trigger\n', 't.yaml'));
    expect(err.issues[0]).toMatchObject({
      path: 'apiVersion',
      message: expect.stringContaining("kind Trigger needs apiVersion eventing.knative.dev/v1; got 'v1'"),
    });
  });

  it('refuses a Trigger naming an unknown Broker and a ref to an unknown sink', () => {
    const err = configErrorOf(() =>
      parseConfigText(
        [
          'apiVersion: eventing.knative.dev/v1',
          'kind: Trigger',
          'metadata: {name: t, namespace: ns1}',
          'spec:',
          '  broker: missing',
          '  subscriber:',
          '    ref: {apiVersion: eventing.knative.dev/v1alpha1, kind: KafkaSink, name: gone}',
        ].join('\n'),
        't.yaml',
      ),
    );
    expect(err.issues).toEqual([
      {
        file: 't.yaml',
        document: 0,
        path: 'spec.broker',
        message: "refers to Broker 'ns1/missing', which is not defined",
      },
      {
        file: 't.yaml',
        document: 0,
        path: 'spec.subscriber.ref',
        message: "refers to KafkaSink 'ns1/gone', which is not defined",
      },
    ]);
  });
});
