/** Every kind loads with its defaults; the rules particular to each kind are enforced. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { KIND_NAMES, type LoadedConfig, parseConfigText, resolveDestination } from './index.js';

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

describe('meshgate kinds', () => {
  it('Connection: exactly one middleware', () => {
    const config = load(`
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: r}
spec: {rabbitmq: {url: {valueFrom: {env: RABBIT_URL}}, vhost: /}}
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: n}
spec: {nats: {servers: [nats://127.0.0.1:4222], auth: {token: {valueFrom: {env: NATS_TOKEN}}}}}
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: p}
spec: {pubsub: {projectId: meshgate-test, emulatorHost: 127.0.0.1:8085}}
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: k}
spec:
  kafka:
    bootstrapServers: [127.0.0.1:9092]
    sasl: {mechanism: scram-sha-256, user: u, password: {valueFrom: {env: NATS_TOKEN}}}
    tls: {caCert: {valueFrom: {env: NATS_TOKEN}}}
`);
    expect([...config.connections.values()].map((c) => c.type)).toEqual([
      'rabbitmq',
      'nats',
      'pubsub',
      'kafka',
    ]);
    expect(config.connections.get('default/r')?.spec.rabbitmq?.url.reveal()).toBe(
      'amqp://u:p@127.0.0.1:5672',
    );
    expect(config.connections.get('default/k')?.spec.kafka?.tls).toMatchObject({
      enable: true,
      insecureSkipVerify: false,
    });
    expect(
      issuesOf(`
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: none}
spec: {}
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: two}
spec: {pubsub: {projectId: x}, nats: {servers: [nats://x]}}
`),
    ).toEqual([
      '0: spec: needs exactly one of kafka, rabbitmq, nats, pubsub',
      '1: spec: has exactly one of kafka, rabbitmq, nats, pubsub; found nats, pubsub',
    ]);
  });

  it('Gateway: defaults, at most one', () => {
    const config = load('apiVersion: meshgate.io/v1alpha1\nkind: Gateway\nmetadata: {name: east}\n');
    expect(config.gateway).toMatchObject({
      id: 'east',
      http: { host: '0.0.0.0', port: 8080, maxBodyBytes: 1_048_576 },
      admin: {},
      logging: { level: 'info' },
    });
    expect(load('').gateway.http.port).toBe(8080);
    const gateway = (name: string, spec = '{}') =>
      `apiVersion: meshgate.io/v1alpha1\nkind: Gateway\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
    expect(issuesOf(gateway('a', '{http: {port: 99999}, logging: {level: loud}}'))).toEqual([
      '0: spec.http.port: Too big: expected number to be <=65535',
      expect.stringMatching(/^0: spec\.logging\.level: /),
    ]);
    expect(issuesOf(`${gateway('a')}---\n${gateway('b')}`)).toEqual([
      '1: kind: only one Gateway may be defined; the first is at k.yaml:0',
    ]);
  });

  it('Sources and Sinks check their connection exists and is of the right middleware', () => {
    const conns = `
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: r}
spec: {rabbitmq: {url: amqp://127.0.0.1}}
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: n}
spec: {nats: {servers: [nats://127.0.0.1:4222]}}
---
apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: {name: p}
spec: {pubsub: {projectId: meshgate-test}}
`;
    const config = load(`${conns}---
apiVersion: meshgate.io/v1alpha1
kind: RabbitmqSource
metadata: {name: rs}
spec:
  connection: r
  rabbitmqResourcesConfig: {queueName: q, exchangeName: x, parallelism: 10}
  sink: {ref: {apiVersion: meshgate.io/v1alpha1, kind: NatsSink, name: ns}}
  delivery: {retry: 1}
---
apiVersion: meshgate.io/v1alpha1
kind: NatsSource
metadata: {name: core, annotations: {meshgate.io/max-in-flight: "7"}}
spec: {connection: n, subject: sensors.>, sink: {uri: "http://x/"}}
---
apiVersion: meshgate.io/v1alpha1
kind: PubSubSource
metadata: {name: ps}
spec: {connection: p, subscription: sub, topic: top, ordering: true, sink: {ref: {apiVersion: meshgate.io/v1alpha1, kind: PubSubSink, name: pk}}}
---
apiVersion: meshgate.io/v1alpha1
kind: RabbitmqSink
metadata: {name: rk}
spec: {connection: r, queueName: q2, contentMode: structured}
---
apiVersion: meshgate.io/v1alpha1
kind: NatsSink
metadata: {name: ns}
spec: {connection: n, subject: out}
---
apiVersion: meshgate.io/v1alpha1
kind: PubSubSink
metadata: {name: pk}
spec: {connection: p, topic: t, orderingKeyAttribute: partitionkey}
`);
    expect(config.sources.map((s) => [s.kind, s.settings.maxInFlight])).toEqual([
      ['RabbitmqSource', 1],
      ['NatsSource', 7],
      ['PubSubSource', 100],
    ]);
    expect(config.sinks.map((s) => s.kind)).toEqual(['RabbitmqSink', 'NatsSink', 'PubSubSink']);
    const rs = config.sources[0];
    expect(rs?.kind === 'RabbitmqSource' && rs.spec.rabbitmqResourcesConfig).toMatchObject({
      predeclared: false,
      parallelism: 10,
    });
    const ns = config.sinks[1];
    expect(ns?.kind === 'NatsSink' && ns.spec.jetstream).toBe(true);

    expect(
      issuesOf(`${conns}---
apiVersion: meshgate.io/v1alpha1
kind: NatsSource
metadata: {name: both}
spec: {connection: r, subject: a, jetstream: {stream: S, consumer: c}, sink: {uri: "http://x/"}}
---
apiVersion: meshgate.io/v1alpha1
kind: NatsSink
metadata: {name: wrong}
spec: {connection: r, subject: out}
---
apiVersion: meshgate.io/v1alpha1
kind: RabbitmqSink
metadata: {name: missing}
spec: {connection: gone}
`),
    ).toEqual([
      '3: spec: needs exactly one of subject (core NATS) or jetstream',
      "4: spec.connection: Connection 'default/r' is a rabbitmq connection; NatsSink needs nats",
      '5: spec: needs exchangeName or queueName',
    ]);
  });

  it('Peer and Bridge: sinks to a peer Broker, sources of every middleware, filters checked', () => {
    const config = load(`
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: {name: east}
spec: {url: "https://east.example.com", token: {valueFrom: {env: PEER_TOKEN}}, tls: {caCert: {valueFrom: {env: PEER_TOKEN}}}}
---
apiVersion: meshgate.io/v1alpha1
kind: Bridge
metadata: {name: http-in}
spec:
  source: {http: {path: /in}}
  filter: {attributes: {type: x}}
  sink: {peer: east, broker: default}
`);
    expect(config.peers[0]?.spec.token?.reveal()).toBe('pt');
    const bridge = config.bridges[0]!;
    expect(resolveDestination(config, bridge.spec.sink, bridge.metadata.namespace)).toEqual({
      type: 'peer-broker',
      peer: 'east',
      broker: 'default',
      namespace: 'default',
    });
    expect(
      issuesOf(`
apiVersion: meshgate.io/v1alpha1
kind: Bridge
metadata: {name: b}
spec:
  source: {kafka: {connection: k, topics: [t]}, http: {}}
  filters: [{cesql: "a ="}]
  sink: {peer: west, broker: default}
---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: {name: p}
spec: {url: "ftp://x"}
`),
    ).toEqual([
      '0: spec.source: has exactly one of kafka, rabbitmq, nats, pubsub, http; found kafka, http',
      expect.stringMatching(/^0: spec\.filters\[0\]\.cesql: /),
      '1: spec.url: must be an http(s) URL',
    ]);
  });

  it('every kind is covered by this file', () => {
    expect(KIND_NAMES).toHaveLength(14);
  });
});
