/**
 * Kyma's legacy event ingress, `POST /<application>/v1/events`: non-CloudEvent JSON turned into
 * a CloudEvent (source = the application) and published into the configured Broker.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, MeshEvent } from '@meshgate/core';
import { InvalidEventError } from '@meshgate/core';
import {
  kymaLegacyErrorBody,
  kymaLegacyResponseBody,
  kymaLegacyToEvent,
  statusForError,
} from '@meshgate/knative';
import { readBody } from './body.js';
import { sendError } from './respond.js';

export interface KymaTarget {
  maxBodyBytes: number;
  accept(events: readonly MeshEvent[]): Promise<void>;
}

export async function handleKyma(
  req: IncomingMessage,
  res: ServerResponse,
  application: string,
  target: KymaTarget | undefined,
  logger: Logger,
): Promise<void> {
  if (!target) {
    req.resume();
    return sendError(
      res,
      404,
      'NOT_FOUND',
      'the Kyma legacy ingress is not configured (Gateway spec.kyma.broker)',
    );
  }
  if (req.method !== 'POST') {
    req.resume();
    return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed; use POST`, {
      allow: 'POST',
    });
  }
  try {
    const body = await readBody(req, target.maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new InvalidEventError(`body is not valid JSON: ${(err as Error).message}`);
    }
    const event = kymaLegacyToEvent(application, json);
    await target.accept([event]);
    // Kyma's legacy API answers 200 with the event id.
    const answer = kymaLegacyResponseBody(event);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  } catch (err) {
    const status = statusForError(err);
    if (status >= 500) logger.error({ err, application }, 'kyma ingress failed');
    const body = kymaLegacyErrorBody(status, err);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  }
}
