import { MeshgateError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { toPubSubError } from './errors.js';

const ctx = { connection: 'prod', object: 'topic "projects/p/topics/orders"', action: 'publish to' };
const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });

describe('toPubSubError', () => {
  it('names the connection and the object, and keeps the cause', () => {
    const cause = grpcError(5, '5 NOT_FOUND: Resource not found');
    const err = toPubSubError(cause, ctx);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('"prod"');
    expect(err.message).toContain('projects/p/topics/orders');
    expect(err.cause).toBe(cause);
  });

  it.each([
    [14, 'NOT_CONNECTED', true],
    [4, 'NOT_CONNECTED', true],
    [7, 'NOT_CONNECTED', false],
    [16, 'NOT_CONNECTED', false],
    [8, 'OVERLOADED', true],
    [3, 'EVENT_INVALID', false],
  ])('maps gRPC status %i to %s (retriable %s)', (code, expected, retriable) => {
    const err = toPubSubError(grpcError(code, 'x'), ctx);
    expect(err.code).toBe(expected);
    expect(err.retriable).toBe(retriable);
  });

  it('says PAYLOAD_TOO_LARGE for a size refusal', () => {
    expect(toPubSubError(grpcError(3, 'Request payload size exceeds the limit'), ctx).code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('tells credential problems apart in the message', () => {
    expect(toPubSubError(grpcError(7, 'denied'), ctx).message).toMatch(/credentials/);
  });

  it('keeps a MeshgateError as it is and shortens long details', () => {
    const own = new MeshgateError('NOT_FOUND', 'x');
    expect(toPubSubError(own, ctx)).toBe(own);
    expect(toPubSubError(grpcError(14, 'y'.repeat(5000)), ctx).message.length).toBeLessThan(500);
  });
});
