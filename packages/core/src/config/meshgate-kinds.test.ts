/** meshgate.io kinds load with their defaults; the rules particular to each are enforced. */
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

  it("Bridge http paths: plain segments, not two (Broker ingress), not the gateway's own", () => {
    const bridge = (path: string) => `
apiVersion: meshgate.io/v1alpha1
kind: Bridge
metadata: {name: b}
spec:
  source: {http: {path: "${path}"}}
  sink: {uri: "http://127.0.0.1:1/"}
`;
    expect(load(bridge('/hooks/in/orders')).bridges[0]?.spec.source.http?.path).toBe('/hooks/in/orders');
    expect(load(bridge('/in')).bridges[0]?.spec.source.http?.path).toBe('/in');
    expect(issuesOf(bridge('/shop/orders'))).toEqual([
      '0: spec.source.http.path: a path of two segments would shadow the /<namespace>/<name> ingress of Brokers and Sinks',
    ]);
    expect(issuesOf(bridge('/api/v1/hooks'))).toEqual([
      '0: spec.source.http.path: the gateway serves this path itself (/api, /ui, /healthz, /readyz, /metrics, /_meshgate)',
    ]);
    expect(issuesOf(bridge('/in?x=1'))).toEqual([
      '0: spec.source.http.path: must be an absolute path of plain segments (letters, digits, . _ ~ -), e.g. /bridges/orders',
    ]);
  });

  it('every kind is covered by this file', () => {
    expect(KIND_NAMES).toHaveLength(14);
  });
});
