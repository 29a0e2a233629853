/** Each kind of configuration error is a ConfigError naming file, document and path. */
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { parseConfigText } from './index.js';

function issues(text: string): ConfigIssue[] {
  try {
    parseConfigText(text, 'e.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('configuration errors', () => {
  it('empty text and empty documents are an empty configuration', () => {
    const config = parseConfigText('---\n---\n# only a comment\n', 'e.yaml');
    expect(config.brokers).toEqual([]);
    expect(config.files).toEqual(['e.yaml']);
  });

  it('a document that is not a mapping', () => {
    expect(issues('- a\n- b\n')).toEqual([
      {
        file: 'e.yaml',
        document: 0,
        path: '',
        message: 'a document must be a mapping with apiVersion, kind, metadata and spec (line 1, column 1)',
      },
    ]);
  });

  it('a missing kind and a missing metadata.name', () => {
    expect(issues('apiVersion: v1\n')[0]).toMatchObject({
      path: 'kind',
      message: expect.stringContaining('is required'),
    });
    expect(issues('apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {}\n')).toEqual([
      {
        file: 'e.yaml',
        document: 0,
        path: 'metadata.name',
        message: 'is required (expected string) (line 3, column 11)',
      },
    ]);
  });

  it('an invalid name', () => {
    expect(
      issues('apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: My_Broker}\n')[0],
    ).toMatchObject({
      path: 'metadata.name',
      message: expect.stringContaining('must be a lower-case DNS-1123 name'),
    });
  });

  it('duplicate keys in YAML', () => {
    const [issue] = issues('apiVersion: eventing.knative.dev/v1\nkind: Broker\nkind: Trigger\n');
    expect(issue).toMatchObject({
      document: 0,
      path: '',
      message: expect.stringMatching(/^YAML syntax error at line 3, column 1: /),
    });
  });

  it('a YAML alias bomb is refused, not expanded', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(
        `${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
      );
    }
    const [issue] = issues(lines.join('\n'));
    expect(issue?.message).toMatch(/^cannot read YAML: /);
  });

  it('an unknown field suggests the field meant, or lists the known ones', () => {
    const trigger = (spec: string) =>
      `apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b}\n---\napiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: t}\nspec: ${spec}\n`;
    expect(issues(trigger('{broker: b, subscriber: {uri: "http://x/"}, filterz: []}'))[0]?.message).toMatch(
      /^unknown field 'filterz' \(did you mean 'filters'\?\)/,
    );
    expect(issues(trigger('{broker: b, subscriber: {uri: "http://x/", reff: {}}}'))[0]).toMatchObject({
      path: 'spec.subscriber.reff',
      message: expect.stringMatching(/^unknown field 'reff' \(did you mean 'ref'\?\)/),
    });
    expect(issues(trigger('{broker: b, subscriber: {uri: "http://x/"}, colour: red}'))[0]?.message).toMatch(
      /^unknown field 'colour' \(known: broker, brokerRef, filter, filters, subscriber, delivery\)/,
    );
  });

  it('annotations are checked on every kind, in the same pass as the other fields', () => {
    expect(
      issues(
        'apiVersion: meshgate.io/v1alpha1\nkind: Peer\nmetadata:\n  name: p\n  annotations: {meshgate.io/federated: "true"}\nspec: {url: "ftp://x"}\n',
      ).map((i) => `${i.path}: ${i.message.replace(/ \(line.*$/, '')}`),
    ).toEqual([
      'metadata.annotations["meshgate.io/federated"]: unknown annotation \'meshgate.io/federated\' (known here: none)',
      'spec.url: must be an http(s) URL',
    ]);
  });

  it('a v1 List (kubectl get -o yaml) loads its items; problems are named inside items', () => {
    const list = (trigger: string) =>
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: eventing.knative.dev/v1\n  kind: Broker\n  metadata: {name: b, uid: x}\n  status: {address: {url: "http://b"}}\n- ${trigger}\n`;
    const good = parseConfigText(
      list(
        '{apiVersion: eventing.knative.dev/v1, kind: Trigger, metadata: {name: t}, spec: {broker: b, subscriber: {uri: "http://x/"}}}',
      ),
      'e.yaml',
    );
    expect(good.triggers[0]?.origin).toEqual({ file: 'e.yaml', document: 0, path: 'items[1]' });
    expect(
      issues(
        list(
          '{apiVersion: eventing.knative.dev/v1, kind: Trigger, metadata: {name: t}, spec: {broker: c, subscriber: {uri: "x"}}}',
        ),
      ),
    ).toEqual([
      {
        file: 'e.yaml',
        document: 0,
        path: 'items[1].spec.subscriber.uri',
        message: "uri 'x' must be an absolute http(s) URL when there is no ref (line 8, column 113)",
      },
    ]);
    expect(
      issues(
        list(
          '{apiVersion: eventing.knative.dev/v1, kind: Trigger, metadata: {name: t}, spec: {broker: c, subscriber: {uri: "http://x/"}}}',
        ),
      ),
    ).toEqual([
      {
        file: 'e.yaml',
        document: 0,
        path: 'items[1].spec.broker',
        message: "refers to Broker 'default/c', which is not defined",
      },
    ]);
    expect(issues('apiVersion: v1\nkind: List\n')[0]).toMatchObject({ path: 'items' });
  });

  it('keys named like Object.prototype members are plain unknown keys', () => {
    const found = issues(
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata:\n  name: b\n  annotations: {constructor: x, toString: y}\nspec: {constructor: 1, __proto__: 2}\n',
    );
    expect(found.map((i) => i.path)).toEqual(['spec.constructor', 'spec.__proto__']);
  });

  it('YAML tags (!!binary, !!set, timestamps) in ignored fields load; cluster-written fields are dropped', () => {
    const config = parseConfigText(
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata:\n  name: b\n  uid: "1"\n  creationTimestamp: 2024-01-01T00:00:00Z\n  managedFields: [!!binary aGVsbG8=, !!set {a}]\nstatus: {x: !!binary aGVsbG8=, d: 2001-12-14t21:59:43.10-05:00}\n',
      'e.yaml',
    );
    expect(config.brokers[0]?.metadata).toEqual({ name: 'b', namespace: 'default' });
    expect(config.brokers[0]).not.toHaveProperty('status');
    expect(
      issues(
        'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b, labels: {x: !!binary aGVsbG8=}}\n',
      )[0],
    ).toMatchObject({
      path: 'metadata.labels.x',
    });
  });

  it('a wrong type names what was expected', () => {
    expect(
      issues(
        'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b}\nspec: {delivery: {retry: "3"}}\n',
      ),
    ).toEqual([
      {
        file: 'e.yaml',
        document: 0,
        path: 'spec.delivery.retry',
        message: 'expected number, received string (line 4, column 26)',
      },
    ]);
  });

  it('the message lists every issue as file:document: path: message', () => {
    let message = '';
    try {
      parseConfigText(
        'kind: Foo\n---\napiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b, extra: 1}\n',
        'e.yaml',
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'invalid configuration (2 problems):',
      expect.stringMatching(/^ {2}e\.yaml:0: kind: unknown kind 'Foo' \(known: Broker, /),
      expect.stringMatching(
        /^ {2}e\.yaml:1: metadata\.extra: unknown field 'extra' \(known: name, namespace, labels, /,
      ),
    ]);
  });
});
