/**
 * Turns kafkajs errors into meshgate's: a stable code and a `retriable` flag that says whether
 * trying again may help (a broker away: yes; an unknown topic or an oversized record: no).
 */
import { MeshgateError, NotConnectedError } from '@meshgate/core';

interface KafkaJsLike {
  name?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
  message?: string;
}

/** The chain of causes kafkajs wraps errors in (retries exceeded -> protocol error ...). */
function causes(err: unknown): KafkaJsLike[] {
  const chain: KafkaJsLike[] = [];
  let cur: unknown = err;
  while (typeof cur === 'object' && cur !== null && chain.length < 8 && !chain.includes(cur)) {
    const e = cur as KafkaJsLike;
    chain.push(e);
    cur = e.cause ?? e.originalError;
  }
  return chain;
}

const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
]);

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const NOT_AUTHORIZED = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
]);

/** The error for a topic that does not exist; never created implicitly. */
export function unknownTopicError(topic: string, cause?: unknown): MeshgateError {
  return new MeshgateError(
    'NOT_FOUND',
    `Kafka topic '${topic}' does not exist (meshgate never creates topics implicitly; create it first)`,
    { retriable: false, cause },
  );
}

/** Maps anything a kafkajs call threw to a MeshgateError; `what` says what was being done. */
export function toKafkaError(err: unknown, what: string, topic?: string): MeshgateError {
  if (err instanceof MeshgateError) return err;
  const chain = causes(err);
  const types = chain.map((e) => e.type).filter((t): t is string => t !== undefined);
  const detail = chain.at(-1)?.message ?? String(err);
  if (types.includes('UNKNOWN_TOPIC_OR_PARTITION') && topic !== undefined) {
    return unknownTopicError(topic, err);
  }
  if (types.some((t) => TOO_LARGE.has(t))) {
    return new MeshgateError(
      'PAYLOAD_TOO_LARGE',
      `${what}: the record is larger than the broker accepts (${detail})`,
      {
        cause: err,
      },
    );
  }
  if (
    chain.some((e) => e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED')
  ) {
    // kafkajs' message names the mechanism, never the password.
    return new MeshgateError('DELIVERY_FAILED', `${what}: Kafka refused the credentials (${detail})`, {
      cause: err,
    });
  }
  if (types.some((t) => NOT_AUTHORIZED.has(t))) {
    return new MeshgateError('DELIVERY_FAILED', `${what}: not authorized (${detail})`, { cause: err });
  }
  if (chain.some((e) => e.name !== undefined && CONNECTION_ERRORS.has(e.name))) {
    return new NotConnectedError(`${what}: Kafka is not reachable (${detail})`, { cause: err });
  }
  // Retries exceeded means kafkajs gave up on something retriable: trying later may help.
  const retriable =
    chain.some((e) => e.name === 'KafkaJSNumberOfRetriesExceeded') || (chain[0]?.retriable ?? true);
  return new MeshgateError('DELIVERY_FAILED', `${what}: ${detail}`, { retriable, cause: err });
}
