/** Knative kinds load as written, with their defaults; the rules particular to each are enforced. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { type LoadedConfig, parseConfigText, resolveDestination } from './index.js';

const env = {
  RABBIT_URL: 'amqp://u:p@127.0.0.1:5672',
  NATS_TOKEN: 'nt',
  PEER_TOKEN: 'pt',
  KAFKA_CREDS_USER: 'ku',
  KAFKA_CREDS_PASSWORD: 'kp',
};
const load = (text: string): LoadedConfig => parseConfigText(text, 'k.yaml', { env });

function issuesOf(text: string) {
  try {
    load(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(
      (i) => `${i.document}: ${i.path}: ${i.message.replace(/ \(line \d+, column \d+\)$/, '')}`,
    );
  }
  throw new Error('expected a ConfigError');
}

const BROKER = 'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: default}\n';

describe('Knative kinds', () => {
  it('Broker: namespace defaults, annotations parsed into settings, spec optional, status ignored', () => {
    const config = load(`
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  labels: {app: shop}
  uid: 1234
  resourceVersion: "99"
  annotations:
    eventing.knative.dev/broker.class: Kafka
    meshgate.io/max-body-bytes: "2048"
    meshgate.io/buffer-size: "10"
    meshgate.io/channel-topic: shop-events
    meshgate.io/federated: "true"
status:
  conditions: [{type: Ready, status: "True"}]
`);
    const b = config.brokers[0];
    expect(b?.metadata.namespace).toBe('default');
    expect(b?.spec).toEqual({});
    expect(b?.settings).toEqual({
      maxBodyBytes: 2048,
      bufferSize: 10,
      channelTopic: 'shop-events',
      federated: true,
    });
    expect(load(BROKER).brokers[0]?.settings).toEqual({
      maxBodyBytes: 1_048_576,
      bufferSize: 10_000,
      federated: false,
    });
  });

  it('Broker: bad and unknown meshgate annotations are named', () => {
    expect(
      issuesOf(
        `${BROKER.replace('metadata: {name: default}', 'metadata:\n  name: default\n  annotations: {meshgate.io/buffer-size: "-1", meshgate.io/federated: "yes", meshgate.io/colour: red}')}`,
      ),
    ).toEqual([
      '0: metadata.annotations["meshgate.io/buffer-size"]: must be a positive integer',
      '0: metadata.annotations["meshgate.io/federated"]: must be "true" or "false"',
      '0: metadata.annotations["meshgate.io/colour"]: unknown annotation \'meshgate.io/colour\' (known here: meshgate.io/max-body-bytes, meshgate.io/buffer-size, meshgate.io/channel-topic, meshgate.io/federated)',
    ]);
  });

  it('Broker: spec.config naming a Connection keeps events there; a ConfigMap is accepted and ignored', () => {
    const config = load(`
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: k}
spec: {kafka: {bootstrapServers: [127.0.0.1:9092]}}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: on-kafka}
spec: {config: {apiVersion: meshgate.io/v1alpha1, kind: Connection, name: k}}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: knative-style}
spec:
  config: {apiVersion: v1, kind: ConfigMap, name: kafka-broker-config, namespace: knative-eventing}
`);
    expect(config.brokers.map((b) => b.settings.connection)).toEqual([
      { namespace: 'default', name: 'k' },
      undefined,
    ]);
    expect(config.connections.get('default/k')?.type).toBe('kafka');
    expect(
      issuesOf(`${BROKER}spec: {config: {apiVersion: meshgate.io/v1alpha1, kind: Connection, name: nope}}`),
    ).toEqual(["0: spec.config: refers to Connection 'default/nope', which is not defined"]);
  });

  it('Trigger: attributes filter, Subscriptions API filters, ordering annotation, delivery', () => {
    const config = load(`${BROKER}---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: t
  annotations:
    kafka.eventing.knative.dev/delivery.order: ordered
    meshgate.io/start-from: earliest
spec:
  broker: default
  filter: {attributes: {type: a, source: ""}}
  filters:
    - all: [{exact: {type: a}}, {not: {suffix: {subject: .tmp}}}]
    - any: [{prefix: {source: /x}}, {cesql: "EXISTS myext"}]
  subscriber:
    ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}
  delivery:
    retry: 2
    backoffPolicy: linear
    backoffDelay: PT1S
    timeout: PT5S
    retryAfterMax: PT1M
    backoffMax: PT10S
    format: json
    deadLetterSink: {uri: "https://dls.example.com/x"}
`);
    const t = config.triggers[0];
    expect(t?.settings).toEqual({ ordered: true, maxInFlight: 1, startFrom: 'earliest' });
    expect(t?.spec.filters).toHaveLength(2);
    expect(t?.spec.delivery?.retry).toBe(2);
    expect(resolveDestination(config, t!.spec.subscriber, 'default')).toEqual({
      type: 'addressable',
      kind: 'Broker',
      namespace: 'default',
      name: 'default',
    });
  });

  it('Trigger: filter problems come from the filter compiler with their paths', () => {
    const issues = issuesOf(`${BROKER}---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t}
spec:
  broker: default
  filters:
    - cesql: "type = "
    - {exact: {type: a, source: b}}
  subscriber: {uri: "http://x/"}
`);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^1: spec\.filters\[0\]\.cesql: /);
    expect(issues[1]).toMatch(/^1: spec\.filters\[1\]\.exact: /);
  });

  it('Trigger: subscriber uri and ref rules, max-in-flight only unordered', () => {
    expect(
      issuesOf(`${BROKER}---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: a}
spec: {broker: default, subscriber: {}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: b}
spec: {broker: default, subscriber: {uri: "/relative"}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: c}
spec: {broker: default, subscriber: {uri: "http://abs/", ref: {apiVersion: v1, kind: Service, name: s}}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: d}
spec: {broker: default, subscriber: {ref: {apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: c}}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: e
  annotations: {kafka.eventing.knative.dev/delivery.order: ordered, meshgate.io/max-in-flight: "4"}
spec: {broker: default, subscriber: {uri: "http://x/"}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: f}
spec: {broker: default, subscriber: {uri: "http://x/"}, delivery: {timeout: PT0S, backoffDelay: "1s"}}
`),
    ).toEqual([
      '1: spec.subscriber: needs a uri or a ref (or both)',
      "2: spec.subscriber.uri: uri '/relative' must be an absolute http(s) URL when there is no ref",
      "3: spec.subscriber.uri: uri 'http://abs/' must be a relative path when a ref is given",
      "4: spec.subscriber.ref: cannot resolve a ref to messaging.knative.dev/v1 InMemoryChannel 'c': meshgate resolves refs to Broker, KafkaSink, RabbitmqSink, NatsSink, PubSubSink and Services; use a uri",
      '5: metadata.annotations["meshgate.io/max-in-flight"]: must be 1 (or absent) when kafka.eventing.knative.dev/delivery.order is ordered',
      '6: spec.delivery.timeout: must be greater than zero',
      expect.stringMatching(/^6: spec\.delivery\.backoffDelay: invalid ISO-8601 duration "1s"/),
    ]);
  });

  it('Trigger: a ref to a Kubernetes or Knative Service resolves by cluster DNS, with a relative uri', () => {
    const config = load(`${BROKER}---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: default}
spec:
  broker: default
  subscriber:
    ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: display, namespace: apps}
    uri: /events
`);
    expect(resolveDestination(config, config.triggers[0]!.spec.subscriber, 'default')).toEqual({
      type: 'url',
      url: 'http://display.apps.svc.cluster.local/events',
    });
  });

  it('KafkaSource: Knative defaults, v1beta1 accepted, SASL credentials from secretKeyRef', () => {
    const config = load(
      `${BROKER}---
apiVersion: sources.knative.dev/v1beta1
kind: KafkaSource
metadata:
  name: ks
  labels: {kafkasources.sources.knative.dev/key-type: int}
spec:
  bootstrapServers: [a:9092, b:9092]
  topics: [t1, t2]
  net:
    sasl:
      enable: true
      user: {secretKeyRef: {name: kafka-creds, key: user}}
      password: {secretKeyRef: {name: kafka-creds, key: password}}
      type: {valueFrom: {env: SASL_TYPE_MISSING}}
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
  ceOverrides: {extensions: {team: shop}}
`.replace('type: {valueFrom: {env: SASL_TYPE_MISSING}}', 'type: {}'),
    );
    const ks = config.kafkaSources[0]!;
    expect(ks.spec).toMatchObject({
      consumerGroup: 'meshgate-kafkasource-default-ks',
      initialOffset: 'latest',
      ordering: 'ordered',
      consumers: 1,
      ceOverrides: { extensions: { team: 'shop' } },
    });
    expect(ks.settings).toEqual({ keyType: 'int', maxInFlight: 100 });
    expect(ks.spec.net?.sasl?.user?.reveal()).toBe('ku');
    expect(ks.spec.net?.sasl?.password?.reveal()).toBe('kp');
    expect(ks.spec.net?.sasl?.type).toBeUndefined();
  });

  it('KafkaSource: SASL enabled needs user, password and a known type', () => {
    expect(
      issuesOf(`${BROKER}---
apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata: {name: ks}
spec:
  bootstrapServers: [a:9092]
  topics: [t]
  net: {sasl: {enable: true, type: GSSAPI}}
  sink: {uri: "http://x/"}
`),
    ).toEqual([
      "1: spec.net.sasl.type: SASL type 'GSSAPI' is not supported (use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)",
      '1: spec.net.sasl.user: is required when sasl.enable is true',
      '1: spec.net.sasl.password: is required when sasl.enable is true',
    ]);
  });

  it('KafkaSink: defaults, and credentials from the named secret, absent keys left out', () => {
    const config = parseConfigText(
      `apiVersion: eventing.knative.dev/v1alpha1
kind: KafkaSink
metadata: {name: out}
spec:
  topic: out
  bootstrapServers: [127.0.0.1:9092]
  auth: {secret: {ref: {name: my-kafka}}}
`,
      'k.yaml',
      {
        env: {
          MY_KAFKA_PROTOCOL: 'SASL_SSL',
          MY_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          MY_KAFKA_PASSWORD: 'pw',
        },
      },
    );
    const sink = config.kafkaSinks[0]!;
    expect(sink.spec.contentMode).toBe('binary');
    expect(Object.keys(sink.credentials ?? {}).sort()).toEqual(['password', 'protocol', 'saslMechanism']);
    expect(sink.credentials?.saslMechanism?.reveal()).toBe('SCRAM-SHA-512');
    expect(JSON.stringify(sink)).not.toContain('pw');
  });
});
