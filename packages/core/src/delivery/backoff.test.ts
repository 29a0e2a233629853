import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  isRetriableStatus,
  MAX_BACKOFF_MS,
  parseRetryAfter,
  retryDelayMs,
} from './backoff.js';
import type { DeliveryPolicy } from './policy.js';

const linear: DeliveryPolicy = { retry: 5, backoffPolicy: 'linear', backoffDelayMs: 200 };
const exponential: DeliveryPolicy = { retry: 5, backoffPolicy: 'exponential', backoffDelayMs: 200 };

describe('backoffDelayMs', () => {
  it.each([
    [1, 200, 200],
    [2, 400, 400],
    [3, 600, 800],
    [4, 800, 1600],
    [5, 1000, 3200],
    [10, 2000, 102_400],
  ])('retry %d waits %d ms linear and %d ms exponential', (n, lin, exp) => {
    expect(backoffDelayMs(linear, n)).toBe(lin);
    expect(backoffDelayMs(exponential, n)).toBe(exp);
  });

  it('treats a retry number below 1 as the first retry', () => {
    expect(backoffDelayMs(exponential, 0)).toBe(200);
    expect(backoffDelayMs(linear, -3)).toBe(200);
  });

  it('caps at the longest timer Node can set instead of overflowing', () => {
    expect(backoffDelayMs(exponential, 40)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelayMs(exponential, 5000)).toBe(MAX_BACKOFF_MS);
  });

  it('caps the computed backoff at backoffMax', () => {
    const capped = { ...exponential, backoffMaxMs: 1000 };
    expect([1, 2, 3, 4, 5, 60].map((n) => backoffDelayMs(capped, n))).toEqual([
      200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('lets a Retry-After beyond backoffMax through, up to retryAfterMax', () => {
    const policy = { ...exponential, backoffMaxMs: 1000, retryAfterMaxMs: 30_000 };
    expect(retryDelayMs(policy, 9, { status: 429, retryAfter: '20' }, 0)).toBe(20_000);
  });

  it('is never negative and never decreases from one retry to the next (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DeliveryPolicy['backoffPolicy']>('linear', 'exponential'),
        fc.double({ min: -1e6, max: 1e12, noNaN: true }),
        fc.integer({ min: -5, max: 3000 }),
        fc.option(fc.double({ min: 0, max: 1e10, noNaN: true }), { nil: undefined }),
        (backoffPolicy, delay, n, backoffMaxMs) => {
          const policy: DeliveryPolicy = { retry: 10, backoffPolicy, backoffDelayMs: delay };
          if (backoffMaxMs !== undefined) policy.backoffMaxMs = backoffMaxMs;
          const a = backoffDelayMs(policy, n);
          const b = backoffDelayMs(policy, n + 1);
          return a >= 0 && b >= a && b <= MAX_BACKOFF_MS && Number.isFinite(b);
        },
      ),
    );
  });
});

describe('isRetriableStatus', () => {
  it.each([404, 408, 409, 429, 500, 502, 503, 504, 599])('retries %d', (status) => {
    expect(isRetriableStatus(status)).toBe(true);
  });
  it.each([100, 200, 202, 301, 304, 400, 401, 403, 405, 410, 413, 415, 422])(
    'does not retry %d',
    (status) => {
      expect(isRetriableStatus(status)).toBe(false);
    },
  );
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 3 ', 3000],
    ['Mon, 23 Nov 2026 10:00:30 GMT', 30_000],
    ['Monday, 23-Nov-26 10:01:00 GMT', 60_000],
    ['Mon Nov 23 10:00:05 2026', 5000],
    ['Mon, 23 Nov 2026 09:00:00 GMT', 0],
  ])('%j is %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
  it.each([undefined, '', '-5', '1.5', 'soon', 'Mon, 99 Foo 2026 GMT', '5s'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  const now = 0;
  const capped: DeliveryPolicy = { ...exponential, retryAfterMaxMs: 5000 };
  it('honours a longer Retry-After on 429 and 503, up to retryAfterMax', () => {
    expect(retryDelayMs(capped, 1, { status: 429, retryAfter: '3' }, now)).toBe(3000);
    expect(retryDelayMs(capped, 1, { status: 503, retryAfter: '60' }, now)).toBe(5000);
  });
  it('never shortens the backoff', () => {
    expect(retryDelayMs(capped, 4, { status: 429, retryAfter: '1' }, now)).toBe(1600);
  });
  it('ignores Retry-After on other statuses, as Knative', () => {
    expect(retryDelayMs(capped, 1, { status: 500, retryAfter: '3' }, now)).toBe(200);
    expect(retryDelayMs(capped, 1, { retryAfter: '3' }, now)).toBe(200);
  });
  it('ignores Retry-After without retryAfterMax, or with PT0S', () => {
    expect(retryDelayMs(exponential, 1, { status: 429, retryAfter: '3' }, now)).toBe(200);
    expect(
      retryDelayMs({ ...exponential, retryAfterMaxMs: 0 }, 1, { status: 429, retryAfter: '3' }, now),
    ).toBe(200);
  });
  it('falls back to the backoff when Retry-After is missing or unparsable', () => {
    expect(retryDelayMs(capped, 2, { status: 429 }, now)).toBe(400);
    expect(retryDelayMs(capped, 2, { status: 429, retryAfter: 'later' }, now)).toBe(400);
  });
});
