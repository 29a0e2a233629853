/**
 * Turns the client library's gRPC errors into meshgate errors that name the Connection and the
 * Pub/Sub object (topic or subscription), with `retriable` saying whether trying again may help.
 *
 * @see https://cloud.google.com/pubsub/docs/reference/error-codes
 */
import { InvalidEventError, MeshgateError, NotConnectedError, OverloadedError } from '@meshgate/core';

/** gRPC status codes the Pub/Sub service answers with. */
const Status = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** What was being done, for the message: `publish to topic "orders"`. */
export interface PubSubErrorContext {
  connection: string;
  /** `topic "x"` or `subscription "y"`. */
  object: string;
  /** `publish`, `pull`, `create`, ... */
  action: string;
}

/** The gRPC status code of a client-library error, if it has one. */
export function grpcCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** A MeshgateError for a failed Pub/Sub call; the original error is kept as `cause`. */
export function toPubSubError(err: unknown, ctx: PubSubErrorContext): MeshgateError {
  if (err instanceof MeshgateError) return err;
  const full = err instanceof Error ? err.message : String(err);
  // gax appends every retried attempt's error; the first line says what went wrong.
  const detail = full.length > 300 ? `${full.slice(0, 300)}...` : full;
  const where = `Pub/Sub connection "${ctx.connection}": ${ctx.action} ${ctx.object}`;
  switch (grpcCode(err)) {
    case Status.NOT_FOUND:
      return new MeshgateError('NOT_FOUND', `${where} failed: ${ctx.object} does not exist (${detail})`, {
        cause: err,
      });
    case Status.PERMISSION_DENIED:
    case Status.UNAUTHENTICATED:
      return new MeshgateError(
        'NOT_CONNECTED',
        `${where} was refused: check the connection's credentials and IAM roles (${detail})`,
        { retriable: false, cause: err },
      );
    case Status.INVALID_ARGUMENT:
      if (/size|too large|exceed/i.test(detail)) {
        return new MeshgateError(
          'PAYLOAD_TOO_LARGE',
          `${where} failed: the message is too large (${detail})`,
          {
            cause: err,
          },
        );
      }
      return new InvalidEventError(`${where} failed: Pub/Sub refused the message (${detail})`, {
        cause: err,
      });
    case Status.RESOURCE_EXHAUSTED:
      return new OverloadedError(`${where} failed: quota or flow control exhausted (${detail})`);
    case Status.UNAVAILABLE:
    case Status.DEADLINE_EXCEEDED:
    case Status.CANCELLED:
    case Status.ABORTED:
    case Status.INTERNAL:
    case Status.UNKNOWN:
      return new NotConnectedError(`${where} failed: Pub/Sub is not reachable (${detail})`, { cause: err });
    default:
      return new MeshgateError('DELIVERY_FAILED', `${where} failed: ${detail}`, {
        retriable: true,
        cause: err,
      });
  }
}

/** True for "already exists" answers to a create call, which idempotent setup ignores. */
export function isAlreadyExists(err: unknown): boolean {
  return grpcCode(err) === Status.ALREADY_EXISTS;
}

/** True for "not found" answers. */
export function isNotFound(err: unknown): boolean {
  return grpcCode(err) === Status.NOT_FOUND;
}
