/**
 * The event a dead-letter sink receives: the original event, unchanged, plus Knative's three
 * error extensions.
 *
 * @see https://github.com/knative/eventing/blob/main/pkg/kncloudevents/attributes/knative_error.go
 * @see https://github.com/knative/eventing/blob/main/pkg/kncloudevents/event_dispatcher.go
 */
import { type MeshEvent, withAttributes } from '../event/mesh-event.js';

/** The subscriber URL that failed. */
export const ERROR_DEST_ATTRIBUTE = 'knativeerrordest';
/** The last HTTP status (a CloudEvents Integer, as Knative sets it). */
export const ERROR_CODE_ATTRIBUTE = 'knativeerrorcode';
/** Base64 of the last response body, at most {@link ERROR_DATA_MAX_LENGTH} characters. */
export const ERROR_DATA_ATTRIBUTE = 'knativeerrordata';
/** Knative's `KnativeErrorDataExtensionMaxLength`: a cap on the base64 text, not on the body. */
export const ERROR_DATA_MAX_LENGTH = 1024;

/** 1024 base64 characters encode exactly 768 bytes, so cutting the body there cuts the text at 1024. */
const MAX_BODY_BYTES = (ERROR_DATA_MAX_LENGTH / 4) * 3;

/**
 * A copy of `event` for the dead-letter sink. Data and attributes pass through untouched; the
 * extensions say where and how delivery failed:
 * - `knativeerrordest`: the subscriber URL;
 * - `knativeerrorcode`: the last status. When no answer came (timeout, connection refused)
 *   Knative reports 500 with a body of `dispatch error: <error>`, and so do we;
 * - `knativeerrordata`: base64 of the response body, cut to 1024 characters (the first 768
 *   bytes), empty when the body was empty, as in Knative.
 */
export function deadLetterEvent(
  event: MeshEvent,
  failure: { destination: string; status?: number; body?: Uint8Array; error?: string },
): MeshEvent {
  const noAnswer = failure.status === undefined;
  const body =
    failure.body ??
    (noAnswer && failure.error !== undefined
      ? Buffer.from(`dispatch error: ${failure.error}`, 'utf8')
      : undefined);
  const data = body
    ? Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, MAX_BODY_BYTES))
    : undefined;
  return withAttributes(event, {
    [ERROR_DEST_ATTRIBUTE]: failure.destination,
    [ERROR_CODE_ATTRIBUTE]: failure.status ?? 500,
    [ERROR_DATA_ATTRIBUTE]: data ? data.toString('base64') : '',
  });
}
