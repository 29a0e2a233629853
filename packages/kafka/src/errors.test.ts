import { MeshgateError, NotConnectedError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { toKafkaError } from './errors.js';

/** Shapes of kafkajs errors, as its classes build them (name, type, retriable, cause). */
const protocol = (type: string, retriable: boolean) =>
  Object.assign(new Error(`protocol ${type}`), { name: 'KafkaJSProtocolError', type, retriable });
const retriesExceeded = (cause: Error) =>
  Object.assign(new Error(cause.message), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    retriable: false,
    cause,
  });

describe('toKafkaError', () => {
  it('names the topic for UNKNOWN_TOPIC_OR_PARTITION, even wrapped in retries, and is not retriable', () => {
    const err = toKafkaError(
      retriesExceeded(protocol('UNKNOWN_TOPIC_OR_PARTITION', true)),
      'writing',
      'orders',
    );
    expect(err.code).toBe('NOT_FOUND');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain("'orders'");
  });

  it('maps oversized records to PAYLOAD_TOO_LARGE', () => {
    const err = toKafkaError(protocol('MESSAGE_TOO_LARGE', false), 'writing', 't');
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.retriable).toBe(false);
  });

  it('says that Kafka refused the credentials on a SASL failure, and an ACL refusal is "not authorized"', () => {
    const sasl = Object.assign(
      new Error('SASL SCRAM SHA256 authentication failed: Authentication failed during authentication'),
      { name: 'KafkaJSSASLAuthenticationError' },
    );
    const refused = toKafkaError(
      sasl,
      "KafkaChannel 'shop/default' on connection shop/kafka preparing topic 't'",
    );
    expect(refused.code).toBe('DELIVERY_FAILED');
    expect(refused.message).toMatch(
      /^KafkaChannel 'shop\/default' on connection shop\/kafka .*: Kafka refused the credentials \(SASL SCRAM SHA256/,
    );
    const acl = toKafkaError(protocol('TOPIC_AUTHORIZATION_FAILED', false), 'writing', 't');
    expect(acl.message).toContain('not authorized');
  });

  it('maps connection problems to a retriable NotConnectedError', () => {
    const cause = Object.assign(new Error('Connection error: ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
    });
    const err = toKafkaError(retriesExceeded(cause), 'writing', 't');
    expect(err).toBeInstanceOf(NotConnectedError);
    expect(err.retriable).toBe(true);
  });

  it('keeps MeshgateErrors as they are and treats exhausted retries as retriable later', () => {
    const own = new MeshgateError('OVERLOADED', 'full', { retriable: true });
    expect(toKafkaError(own, 'x')).toBe(own);
    const err = toKafkaError(retriesExceeded(protocol('NOT_LEADER_FOR_PARTITION', true)), 'writing', 't');
    expect(err.code).toBe('DELIVERY_FAILED');
    expect(err.retriable).toBe(true);
    expect(err.cause).toBeDefined();
  });
});
