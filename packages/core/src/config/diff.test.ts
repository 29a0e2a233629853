import { describe, expect, it } from 'vitest';
import { diffConfig, isEmptyDiff, parseConfigText } from './index.js';

const broker = (name: string, annotations = '') =>
  `apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata:\n  name: ${name}\n${annotations}`;
const trigger = (name: string, type: string, uri = 'http://127.0.0.1:9000/') =>
  [
    'apiVersion: eventing.knative.dev/v1',
    'kind: Trigger',
    `metadata: {name: ${name}}`,
    'spec:',
    '  broker: b',
    `  filter: {attributes: {type: ${type}}}`,
    `  subscriber: {uri: "${uri}"}`,
  ].join('\n');
const load = (...docs: string[]) =>
  parseConfigText(docs.join('\n---\n'), 'c.yaml', { env: { TOKEN: 'one', OTHER: 'two' } });
const names = (list: readonly { metadata: { name: string } }[]) => list.map((r) => r.metadata.name);

describe('diffConfig', () => {
  it('sorts Triggers into added, removed, changed and unchanged', () => {
    const before = load(broker('b'), trigger('keep', 'a'), trigger('edit', 'a'), trigger('drop', 'a'));
    const after = load(broker('b'), trigger('keep', 'a'), trigger('edit', 'z'), trigger('new', 'a'));
    const diff = diffConfig(before, after);
    expect(names(diff.triggers.unchanged)).toEqual(['keep']);
    expect(diff.triggers.changed.map((c) => [c.previous.spec.filter, c.next.spec.filter])).toEqual([
      [{ attributes: { type: 'a' } }, { attributes: { type: 'z' } }],
    ]);
    expect(names(diff.triggers.added)).toEqual(['new']);
    expect(names(diff.triggers.removed)).toEqual(['drop']);
    expect(names(diff.brokers.unchanged)).toEqual(['b']);
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('ignores where a resource was written (file, document, order)', () => {
    const before = load(broker('b'), trigger('x', 'a'), trigger('y', 'a'));
    const after = parseConfigText(
      [trigger('y', 'a'), broker('b'), trigger('x', 'a')].join('\n---\n'),
      'moved.yaml',
    );
    const diff = diffConfig(before, after);
    expect(isEmptyDiff(diff)).toBe(true);
    expect(names(diff.triggers.unchanged)).toEqual(['y', 'x']);
  });

  it('sees a changed annotation setting as a change of the Broker', () => {
    const before = load(broker('b'));
    const after = load(broker('b', '  annotations: {meshgate.io/buffer-size: "5"}\n'));
    const diff = diffConfig(before, after);
    expect(diff.brokers.changed).toHaveLength(1);
    expect(diff.brokers.changed[0]?.next.settings.bufferSize).toBe(5);
  });

  it('sees a rotated secret as a change, and the gateway settings apart', () => {
    const peer = (env: string) =>
      `apiVersion: meshgate.io/v1alpha1\nkind: Peer\nmetadata: {name: p}\nspec:\n  url: http://east:8080\n  token: {valueFrom: {env: ${env}}}`;
    const gateway = (port: number) =>
      `apiVersion: meshgate.io/v1alpha1\nkind: Gateway\nmetadata: {name: g}\nspec: {http: {port: ${port}}}`;
    expect(isEmptyDiff(diffConfig(load(peer('TOKEN'), gateway(1)), load(peer('TOKEN'), gateway(1))))).toBe(
      true,
    );
    const rotated = diffConfig(load(peer('TOKEN')), load(peer('OTHER')));
    expect(rotated.peers.changed).toHaveLength(1);
    const moved = diffConfig(load(gateway(1)), load(gateway(2)));
    expect(moved.gatewayChanged).toBe(true);
    expect(isEmptyDiff(moved)).toBe(false);
  });

  it('tracks connections, sources, sinks and bridges', () => {
    const conn = (url: string) =>
      `apiVersion: meshgate.io/v1alpha1\nkind: Connection\nmetadata: {name: r}\nspec: {rabbitmq: {url: "${url}"}}`;
    const sink = `apiVersion: meshgate.io/v1alpha1\nkind: RabbitmqSink\nmetadata: {name: s}\nspec: {connection: r, exchangeName: x}`;
    const diff = diffConfig(load(conn('amqp://a')), load(conn('amqp://b'), sink));
    expect(diff.connections.changed).toHaveLength(1);
    expect(names(diff.sinks.added)).toEqual(['s']);
  });
});
