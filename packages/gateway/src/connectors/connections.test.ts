import { inspect } from 'node:util';
import { type ConnectionResource, parseConfigText, silentLogger } from '@meshgate/core';
import { natsConnectOptions } from '@meshgate/nats';
import { describe, expect, it } from 'vitest';
import { ConnectionPool, clientOfType, fingerprint, kafkaSinkNet } from './connections.js';

function connection(spec: string): ConnectionResource {
  const config = parseConfigText(`apiVersion: meshgate.io/v1alpha1
kind: Connection
metadata: { name: c, namespace: shop }
spec:
${spec}`);
  return config.connections.get('shop/c') as ConnectionResource;
}

const pool = () =>
  new ConnectionPool(
    () => silentLogger,
    () => 'meshgate-test',
  );

describe('ConnectionPool', () => {
  it('builds the AMQP URL with the vhost and credentials the Connection sets', () => {
    const c = pool().forConnection(
      'shop/c',
      connection(`  rabbitmq:
    url: amqp://guest:guest@127.0.0.1:5672/
    vhost: orders
    username: app
    password: "p@ss/word"
    heartbeatSeconds: 10`),
    );
    expect(clientOfType(c, 'rabbitmq', 'test').url).toBe(
      'amqp://app:p%40ss%2Fword@127.0.0.1:5672/orders?heartbeat=10',
    );
  });

  it('switches to amqps with tls, and refuses TLS settings the RabbitMQ components cannot take', () => {
    const c = pool().forConnection(
      'shop/c',
      connection('  rabbitmq: { url: "amqp://h:5671/", username: u, password: p, tls: { enable: true } }'),
    );
    expect(clientOfType(c, 'rabbitmq', 'test').url).toBe('amqps://u:p@h:5671/');
    expect(() =>
      pool().forConnection(
        'shop/c',
        connection(
          '  rabbitmq: { url: "amqp://h:5671/", tls: { caCert: CA-PEM, insecureSkipVerify: true } }',
        ),
      ),
    ).toThrow(
      /connection shop\/c: spec.rabbitmq.tls supports only enable yet .*remove caCert, insecureSkipVerify/,
    );
  });

  it('shares one client per Connection and makes a new one when its spec changes', () => {
    const p = pool();
    const a = connection('  nats: { servers: [nats://127.0.0.1:4222] }');
    expect(p.forConnection('shop/c', a)).toBe(p.forConnection('shop/c', a));
    const b = connection('  nats: { servers: [nats://127.0.0.1:4223] }');
    expect(p.forConnection('shop/c', b)).not.toBe(p.forConnection('shop/c', a));
  });

  describe('NATS credentials and TLS', () => {
    const natsOptions = (spec: string) => {
      const c = clientOfType(pool().forConnection('shop/c', connection(spec)), 'nats', 'test');
      return { endpoint: c.servers, options: natsConnectOptions(c.servers) };
    };

    it('passes a token and a user/password to nats.js', () => {
      expect(
        natsOptions('  nats: { servers: [nats://h:4222], auth: { token: tok-secret } }').options,
      ).toEqual({
        servers: ['nats://h:4222'],
        token: 'tok-secret',
      });
      const { options } = natsOptions(
        '  nats: { servers: [nats://h:4222], auth: { user: app, password: pw-secret } }',
      );
      expect(options).toMatchObject({ user: 'app', pass: 'pw-secret' });
    });

    it('gives nats.js an authenticator for an NKey seed and for a .creds file', () => {
      // The signing itself is checked in packages/nats (connection.test.ts).
      const seed = 'SUAOMHWNMKAPVAECHMPUT3KB2PIRHXH6YTMB3M5WJU4QTAOKOF2QKMSFEI';
      const nkey = natsOptions(`  nats: { servers: [nats://h:4222], auth: { nkeySeed: ${seed} } }`).options;
      expect(typeof nkey.authenticator).toBe('function');
      expect(nkey.token ?? nkey.user).toBeUndefined();
      const creds = natsOptions(
        '  nats: { servers: [nats://h:4222], auth: { creds: "creds file text" } }',
      ).options;
      expect(typeof creds.authenticator).toBe('function');
    });

    it('maps TLS (CA, client certificate, server name, skip verify)', () => {
      const { options } = natsOptions(`  nats:
    servers: [tls://h:4222]
    tls: { caCert: CA-PEM, cert: CERT-PEM, key: KEY-PEM, serverName: nats.internal, insecureSkipVerify: true }`);
      expect(options.tls).toEqual({
        ca: 'CA-PEM',
        cert: 'CERT-PEM',
        key: 'KEY-PEM',
        servername: 'nats.internal',
        rejectUnauthorized: false,
      });
      expect(
        natsOptions('  nats: { servers: [nats://h:4222], tls: { enable: false } }').options.tls,
      ).toBeUndefined();
    });

    it('keeps the secrets out of the endpoint as logged, serialized or inspected', () => {
      const { endpoint } = natsOptions(
        '  nats: { servers: [nats://h:4222], auth: { user: app, password: pw-secret }, tls: { key: KEY-PEM } }',
      );
      for (const text of [JSON.stringify(endpoint), inspect(endpoint, { depth: 10 }), String(endpoint)]) {
        expect(text).not.toContain('pw-secret');
        expect(text).not.toContain('KEY-PEM');
      }
      expect(endpoint.name).toBe('shop/c');
    });
  });

  it('refuses a component on a Connection of another middleware', () => {
    const c = pool().forConnection('shop/c', connection('  nats: { servers: [nats://h:4222] }'));
    expect(() => clientOfType(c, 'kafka', 'KafkaThing shop/x')).toThrow(/nats connection, not kafka/);
  });
});

describe('fingerprint', () => {
  it('changes when a secret changes, without containing it', () => {
    const one = connection('  rabbitmq: { url: "amqp://u:secret-one@h:5672/" }');
    const two = connection('  rabbitmq: { url: "amqp://u:secret-two@h:5672/" }');
    expect(fingerprint(one.spec)).toBe(fingerprint(one.spec));
    expect(fingerprint(one.spec)).not.toBe(fingerprint(two.spec));
    expect(fingerprint(one.spec)).not.toContain('secret');
  });

  it('ignores the order of keys', () => {
    expect(fingerprint({ a: 1, b: { c: 2, d: 3 } })).toBe(fingerprint({ b: { d: 3, c: 2 }, a: 1 }));
  });
});

describe('kafkaSinkNet', () => {
  const sink = (env: Record<string, string>) => {
    const config = parseConfigText(
      `apiVersion: eventing.knative.dev/v1alpha1
kind: KafkaSink
metadata: {name: out}
spec:
  topic: t
  bootstrapServers: [k:9094]
  auth: {secret: {ref: {name: kafka-auth}}}
`,
      'sink.yaml',
      { env },
    );
    return config.kafkaSinks[0]?.credentials;
  };

  it("maps Knative's secret keys: SASL_SSL gives sasl and tls, PLAINTEXT neither", () => {
    const net = kafkaSinkNet(
      sink({
        KAFKA_AUTH_PROTOCOL: 'SASL_SSL',
        KAFKA_AUTH_SASL_MECHANISM: 'SCRAM-SHA-256',
        KAFKA_AUTH_USER: 'u',
        KAFKA_AUTH_PASSWORD: 'p',
        KAFKA_AUTH_CA_CRT: 'PEM',
      }),
      'KafkaSink default/out',
    );
    expect(net?.sasl?.enable).toBe(true);
    expect(net?.sasl?.type?.reveal()).toBe('SCRAM-SHA-256');
    expect(net?.sasl?.password?.reveal()).toBe('p');
    expect(net?.tls?.enable).toBe(true);
    expect(net?.tls?.caCert?.reveal()).toBe('PEM');
    expect(kafkaSinkNet(sink({}), 'x')).toEqual({});
    expect(kafkaSinkNet(undefined, 'x')).toBeUndefined();
  });

  it('refuses an unknown protocol, naming the sink', () => {
    expect(() => kafkaSinkNet(sink({ KAFKA_AUTH_PROTOCOL: 'KERBEROS' }), 'KafkaSink default/out')).toThrow(
      /KafkaSink default\/out: unsupported protocol KERBEROS/,
    );
  });
});
