import { ConfigError, type ConnectionResource, parseConfigText, silentLogger } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { ConnectionPool, clientOfType, fingerprint } from './connections.js';

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

  it('shares one client per Connection and makes a new one when its spec changes', () => {
    const p = pool();
    const a = connection('  nats: { servers: [nats://127.0.0.1:4222] }');
    expect(p.forConnection('shop/c', a)).toBe(p.forConnection('shop/c', a));
    const b = connection('  nats: { servers: [nats://127.0.0.1:4223] }');
    expect(p.forConnection('shop/c', b)).not.toBe(p.forConnection('shop/c', a));
  });

  it('refuses NATS auth, which the NATS connector cannot pass on, with a ConfigError', () => {
    expect(() =>
      pool().forConnection('shop/c', connection('  nats: { servers: [nats://h:4222], auth: { token: t } }')),
    ).toThrow(ConfigError);
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
