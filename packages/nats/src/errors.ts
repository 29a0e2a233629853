/** Turns nats.js errors into MeshgateErrors that name the connection and the object. */
import { MeshgateError, NotConnectedError } from '@meshgate/core';

/** A NATS publish or consumer operation failed; the message names what and where. */
export class NatsConnectorError extends MeshgateError {}

interface NatsLikeError {
  code?: unknown;
  message?: unknown;
}

/**
 * Maps a nats.js error of an operation on `what` (e.g. `JetStream subject "orders.new"`):
 * no responders → NOT_FOUND (no stream captures the subject), timeouts and disconnects →
 * NOT_CONNECTED (retriable), payload too large → PAYLOAD_TOO_LARGE, anything else →
 * DELIVERY_FAILED.
 */
export function natsError(label: string, what: string, err: unknown): MeshgateError {
  if (err instanceof MeshgateError) return err;
  const e = (err ?? {}) as NatsLikeError;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code === '503' || /no responders/i.test(message)) {
    return new NatsConnectorError(
      'NOT_FOUND',
      `${label}: no JetStream stream captures ${what} (${message})`,
      {
        cause: err,
      },
    );
  }
  if (/maximum payload|max_payload|payload too large|message size exceeds/i.test(message)) {
    return new NatsConnectorError(
      'PAYLOAD_TOO_LARGE',
      `${label}: message too large for ${what} (${message})`,
      {
        cause: err,
      },
    );
  }
  if (/stream not found/i.test(message) || /consumer not found/i.test(message)) {
    return new NatsConnectorError('NOT_FOUND', `${label}: ${what}: ${message}`, { cause: err });
  }
  if (
    code === 'TIMEOUT' ||
    code === 'CONNECTION_CLOSED' ||
    code === 'CONNECTION_DRAINING' ||
    /timeout|closed|disconnect/i.test(message)
  ) {
    return new NotConnectedError(`${label}: ${what}: ${message}`, { cause: err });
  }
  return new NatsConnectorError('DELIVERY_FAILED', `${label}: ${what}: ${message}`, {
    retriable: true,
    cause: err,
  });
}
