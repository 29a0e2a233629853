import { Readable } from 'node:stream';
import { InvalidEventError, MeshgateError, makeEvent, OverloadedError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
import { encodeHttpResponse, errorResponse, readBody, statusForError } from './http-response.js';

describe('statusForError / errorResponse', () => {
  it('maps error codes to statuses', () => {
    expect(statusForError(new InvalidEventError('x'))).toBe(400);
    expect(statusForError(new UnsupportedMediaTypeError('x', 'a/b'))).toBe(415);
    expect(statusForError(new PayloadTooLargeError('x', 1))).toBe(413);
    expect(statusForError(new OverloadedError('x'))).toBe(429);
    expect(statusForError(new MeshgateError('NOT_FOUND', 'x'))).toBe(404);
    expect(statusForError(new Error('boom'))).toBe(500);
  });

  it('names the problem in a JSON body, hides internal errors, sets Retry-After on 429', () => {
    const bad = errorResponse(new InvalidEventError("required attribute 'id' is missing"));
    expect(JSON.parse(Buffer.from(bad.body ?? []).toString())).toEqual({
      code: 'EVENT_INVALID',
      error: "required attribute 'id' is missing",
    });
    expect(JSON.parse(Buffer.from(errorResponse(new Error('secret')).body ?? []).toString()).error).toBe(
      'internal error',
    );
    expect(errorResponse(new OverloadedError('full', 3)).headers['retry-after']).toBe('3');
  });
});

describe('encodeHttpResponse', () => {
  it('answers 202 without a reply and 200 with one', () => {
    expect(encodeHttpResponse(undefined).status).toBe(202);
    const r = encodeHttpResponse(
      makeEvent({ specversion: '1.0', id: '1', source: '/s', type: 't' }),
      'structured',
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/cloudevents+json');
  });
});

describe('readBody', () => {
  it('reads a body within the limit and refuses a larger one', async () => {
    const small = Object.assign(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), { headers: {} });
    expect((await readBody(small, 4)).toString()).toBe('abcd');
    const big = Object.assign(Readable.from([Buffer.from('abc'), Buffer.from('de')]), { headers: {} });
    await expect(readBody(big, 4)).rejects.toThrow(PayloadTooLargeError);
    const declared = Object.assign(Readable.from([]), { headers: { 'content-length': '10' } });
    await expect(readBody(declared, 4)).rejects.toThrow('10 bytes is over the limit of 4 bytes');
  });
});
