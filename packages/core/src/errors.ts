/**
 * One error base for all of meshgate: a stable `code` (part of the public API), a `retriable`
 * flag that only retry logic reads, and the original `cause`.
 */
export type MeshgateErrorCode =
  | 'CONFIG_INVALID'
  | 'EVENT_INVALID'
  | 'BINDING_UNSUPPORTED'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_CONNECTED'
  | 'DELIVERY_FAILED'
  | 'STALE_DELIVERY'
  | 'OVERLOADED'
  | 'NOT_FOUND'
  | 'CESQL_PARSE'
  | 'INTERNAL';

export class MeshgateError extends Error {
  readonly code: MeshgateErrorCode;
  readonly retriable: boolean;

  constructor(
    code: MeshgateErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration file, document or field is wrong; `path` names where. Never retriable. */
export class ConfigError extends MeshgateError {
  constructor(
    message: string,
    readonly issues: readonly ConfigIssue[] = [],
  ) {
    super('CONFIG_INVALID', message);
  }
}

/** Where in the configuration a problem is: file, 0-based document index and field path. */
export interface ConfigIssue {
  file?: string;
  document?: number;
  path: string;
  message: string;
}

/** An event is not a valid CloudEvent, or its encoding is broken. Never retriable. */
export class InvalidEventError extends MeshgateError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('EVENT_INVALID', message, options);
  }
}

/** The middleware is not reachable right now; the caller should back off and retry. */
export class NotConnectedError extends MeshgateError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('NOT_CONNECTED', message, { retriable: true, ...options });
  }
}

/** A queue or buffer is full; the producer should retry later. */
export class OverloadedError extends MeshgateError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super('OVERLOADED', message, { retriable: true });
  }
}

/** Turns anything thrown into a MeshgateError, keeping the original as `cause`. */
export function toMeshgateError(err: unknown): MeshgateError {
  if (err instanceof MeshgateError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MeshgateError('INTERNAL', message, { cause: err });
}
