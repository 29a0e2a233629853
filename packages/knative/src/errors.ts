/** Errors of the HTTP binding that map to their own HTTP status (415, 413). */
import { MeshgateError } from '@meshgate/core';

/** The request's content type is not one meshgate reads (HTTP 415). Never retriable. */
export class UnsupportedMediaTypeError extends MeshgateError {
  constructor(
    message: string,
    readonly contentType: string | undefined,
  ) {
    super('BINDING_UNSUPPORTED', message);
  }
}

/** A request or response body is larger than allowed (HTTP 413). Never retriable. */
export class PayloadTooLargeError extends MeshgateError {
  constructor(
    message: string,
    readonly limitBytes: number,
  ) {
    super('PAYLOAD_TOO_LARGE', message);
  }
}
