/**
 * How the delivery engine talks to an Addressable. The engine (retries, backoff, dead letter,
 * replies) lives in core; the HTTP implementation lives in @meshgate/knative.
 */
import type { MeshEvent } from '../event/mesh-event.js';

export interface SendRequest {
  /** The Addressable's URL. */
  url: string;
  event: MeshEvent;
  /** Per-attempt timeout; the attempt rejects with a retriable error when it passes. */
  timeoutMs?: number;
  /** Extra headers, e.g. `Kn-Namespace`. The sender always adds `Prefer: reply`. */
  headers?: Record<string, string>;
  /** Content mode on the wire; binary unless the target asks for structured. */
  mode?: 'binary' | 'structured';
  signal?: AbortSignal;
}

export interface SendResponse {
  /** The HTTP status (or the equivalent the transport maps to). */
  status: number;
  /** Response headers, lower-case names (Retry-After is read from here). */
  headers: Record<string, string | undefined>;
  /** A CloudEvent in a 2xx response: a reply that re-enters the Broker. */
  reply?: MeshEvent;
  /**
   * Set when a 2xx response has a non-empty body that is not a valid CloudEvent: the delivery
   * counts as failed (Knative's contract).
   */
  replyError?: string;
  /** Up to the first 1024 bytes of the response body, for `knativeerrordata`. */
  body?: Uint8Array;
}

/**
 * Sends one event once. Resolves with whatever the Addressable answered (any status); rejects
 * only when no answer came (connection refused, reset, timeout), with an error whose
 * `retriable` flag is true for such transient failures.
 */
export interface AddressableSender {
  send(request: SendRequest): Promise<SendResponse>;
  /**
   * Sends several events in one request (CloudEvents batched mode), where the transport has one.
   * The answer is for all of them; a batch never carries a reply.
   */
  sendBatch?(request: SendBatchRequest): Promise<SendResponse>;
}

/** A sender that has a batched mode: what a peer link needs to batch under load. */
export type BatchingAddressableSender = AddressableSender & Required<Pick<AddressableSender, 'sendBatch'>>;

export interface SendBatchRequest extends Omit<SendRequest, 'event' | 'mode'> {
  events: readonly MeshEvent[];
}
