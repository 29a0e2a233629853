/**
 * Kyma's legacy (pre-CloudEvents) publish API: `POST /<application>/v1/events` with a JSON body
 * `{ "event-type", "event-type-version", "event-id"?, "event-time", "data" }`, turned into a
 * CloudEvent so that Triggers filter on `type`, `eventtypeversion` and `source` as in Kyma.
 *
 * Validation follows Kyma's event-publisher-proxy: `event-type` required; `event-type-version`
 * required, letters and digits only; `event-time` required, RFC 3339; `event-id` optional and,
 * when given, a UUID (a fresh UUID is generated when absent); `data` required and not an empty
 * string. Unknown fields are ignored, as Kyma's JSON decoder does.
 *
 * @see https://github.com/kyma-project/kyma/blob/main/docs/03-tutorials/00-eventing/evnt-05-send-legacy-events.md
 */
import { randomUUID } from 'node:crypto';
import { InvalidEventError, isRfc3339, type MeshEvent, validateEvent } from '@meshgate/core';

/** The extension attribute that carries the legacy `event-type-version`. */
export const KYMA_EVENT_TYPE_VERSION_EXTENSION = 'eventtypeversion';

const EVENT_TYPE_VERSION = /^[a-zA-Z0-9]+$/;
const EVENT_ID = /^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$/;

/** A legacy Kyma event is invalid; `field` names the bad field, as Kyma's error details do. */
export class KymaLegacyEventError extends InvalidEventError {
  constructor(
    message: string,
    readonly field: string,
    readonly kind: 'missing_field' | 'invalid_field' | 'bad_payload',
  ) {
    super(message);
  }
}

/**
 * Turns a legacy Kyma event (the parsed JSON body) into a CloudEvent: `type` = event-type,
 * `eventtypeversion` = event-type-version, `source` = the application, `id` = event-id (or a
 * new UUID), `time` = event-time, `datacontenttype` = application/json, data = the JSON of `data`.
 * Throws KymaLegacyEventError (an InvalidEventError) naming the first bad field.
 */
export function kymaLegacyToEvent(application: string, body: unknown): MeshEvent {
  if (application === '')
    throw new KymaLegacyEventError('application name is empty', 'application', 'invalid_field');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new KymaLegacyEventError('legacy event must be a JSON object', 'body', 'bad_payload');
  }
  const b = body as Record<string, unknown>;
  const eventType = requiredString(b, 'event-type');
  const version = requiredString(b, 'event-type-version');
  if (!EVENT_TYPE_VERSION.test(version)) {
    throw invalid('event-type-version', `'${version}' must contain only letters and digits`);
  }
  const time = requiredString(b, 'event-time');
  if (!isRfc3339(time)) throw invalid('event-time', `'${time}' is not an RFC 3339 timestamp`);
  let id = b['event-id'];
  if (id === undefined || id === null || id === '') id = randomUUID();
  else if (typeof id !== 'string' || !EVENT_ID.test(id)) throw invalid('event-id', 'must be a UUID');
  const data = b.data;
  if (data === undefined || data === null || data === '') {
    throw new KymaLegacyEventError("field 'data' is missing", 'data', 'missing_field');
  }
  const event: MeshEvent = {
    attributes: {
      specversion: '1.0',
      id: id as string,
      source: application,
      type: eventType,
      time,
      datacontenttype: 'application/json',
      [KYMA_EVENT_TYPE_VERSION_EXTENSION]: version,
    },
    data: Buffer.from(JSON.stringify(data), 'utf8'),
  };
  // The result must still be a valid CloudEvent (e.g. an application name that is no URI-reference).
  validateEvent(event);
  return event;
}

/** Kyma's success answer body: `{ "event-id": ..., "status": "published" }`. */
export function kymaLegacyResponseBody(event: MeshEvent): Buffer {
  return Buffer.from(
    JSON.stringify({ 'event-id': event.attributes.id, status: 'published', reason: '' }),
    'utf8',
  );
}

/** Kyma's error answer body, with the field named in `details` when known. */
export function kymaLegacyErrorBody(status: number, err: unknown): Buffer {
  const message = err instanceof Error ? err.message : String(err);
  const details = err instanceof KymaLegacyEventError ? [{ field: err.field, type: err.kind, message }] : [];
  const type = status === 400 ? 'Bad Request' : status === 413 ? 'Request Entity Too Large' : 'Error';
  return Buffer.from(JSON.stringify({ error: { status, type, message, details } }), 'utf8');
}

function requiredString(b: Record<string, unknown>, field: string): string {
  const v = b[field];
  if (v === undefined || v === null || v === '') {
    throw new KymaLegacyEventError(`field '${field}' is missing`, field, 'missing_field');
  }
  if (typeof v !== 'string') throw invalid(field, `must be a string, got ${typeof v}`);
  return v;
}

function invalid(field: string, what: string): KymaLegacyEventError {
  return new KymaLegacyEventError(`field '${field}' is invalid: ${what}`, field, 'invalid_field');
}
