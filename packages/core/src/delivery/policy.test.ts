import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { type DeliverySpec, type DestinationRef, resolveDeliveryPolicy } from './policy.js';

const resolver = (ref: DestinationRef) =>
  ref.kind === 'Service' && ref.name === 'dls'
    ? `http://dls.${ref.namespace ?? 'default'}.svc.cluster.local`
    : undefined;

function issuesOf(spec: DeliverySpec, resolve = resolver) {
  try {
    resolveDeliveryPolicy(spec, resolve);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => i.path);
  }
  throw new Error('expected a ConfigError');
}

describe('resolveDeliveryPolicy', () => {
  it("gives a Broker without delivery Knative's default: 10 retries, exponential, 0.2 s", () => {
    expect(resolveDeliveryPolicy(undefined)).toEqual({
      retry: 10,
      backoffPolicy: 'exponential',
      backoffDelayMs: 200,
    });
  });

  it('resolves a full spec', () => {
    const policy = resolveDeliveryPolicy({
      retry: 3,
      backoffPolicy: 'linear',
      backoffDelay: 'PT1S',
      timeout: 'PT5S',
      retryAfterMax: 'PT1M',
      deadLetterSink: { uri: 'http://dead.example/letters' },
    });
    expect(policy).toEqual({
      retry: 3,
      backoffPolicy: 'linear',
      backoffDelayMs: 1000,
      timeoutMs: 5000,
      retryAfterMaxMs: 60_000,
      deadLetterUrl: 'http://dead.example/letters',
    });
  });

  it('reads a spec without retry as no retries (Knative), keeping a backoff for safety', () => {
    expect(resolveDeliveryPolicy({ deadLetterSink: { uri: 'http://dls/' } })).toEqual({
      retry: 0,
      backoffPolicy: 'exponential',
      backoffDelayMs: 200,
      deadLetterUrl: 'http://dls/',
    });
    expect(resolveDeliveryPolicy({ retry: 2 }).backoffDelayMs).toBe(200);
  });

  it('reads backoffMax and format', () => {
    expect(resolveDeliveryPolicy({ retry: 1, backoffMax: 'PT10M', format: 'json' })).toMatchObject({
      backoffMaxMs: 600_000,
      mode: 'structured',
    });
    expect(resolveDeliveryPolicy({ format: 'binary' }).mode).toBe('binary');
    expect(resolveDeliveryPolicy({}).mode).toBeUndefined();
  });

  it('keeps retryAfterMax PT0S as 0 (Retry-After ignored)', () => {
    expect(resolveDeliveryPolicy({ retry: 1, retryAfterMax: 'PT0S' }).retryAfterMaxMs).toBe(0);
  });

  it('resolves a dead-letter ref, and a relative uri against it', () => {
    expect(
      resolveDeliveryPolicy(
        { deadLetterSink: { ref: { kind: 'Service', name: 'dls', namespace: 'ns' } } },
        resolver,
      ).deadLetterUrl,
    ).toBe('http://dls.ns.svc.cluster.local/');
    expect(
      resolveDeliveryPolicy(
        { deadLetterSink: { ref: { kind: 'Service', name: 'dls' }, uri: '/errors' } },
        resolver,
      ).deadLetterUrl,
    ).toBe('http://dls.default.svc.cluster.local/errors');
  });

  it('names every bad field at once', () => {
    const paths = issuesOf({
      retry: -1,
      backoffPolicy: 'fibonacci' as 'linear',
      backoffDelay: '200ms',
      timeout: 'PT0S',
      retryAfterMax: 'soon',
      deadLetterSink: { uri: 'not a url' },
    });
    expect(paths).toEqual([
      'retry',
      'backoffPolicy',
      'backoffDelay',
      'timeout',
      'retryAfterMax',
      'deadLetterSink.uri',
    ]);
  });

  it('quotes the bad text in the message', () => {
    expect(() => resolveDeliveryPolicy({ backoffDelay: 'PT1X' })).toThrow(
      /backoffDelay: invalid ISO-8601 duration "PT1X"/,
    );
  });

  it.each<[string, DeliverySpec]>([
    ['fractional retry', { retry: 1.5 }],
    ['zero backoffMax', { backoffMax: 'PT0S' }],
    ['unknown format', { format: 'xml' as 'json' }],
    ['empty dead-letter sink', { deadLetterSink: {} }],
    ['non-http dead-letter uri', { deadLetterSink: { uri: 'ftp://x/y' } }],
    ['relative uri without ref', { deadLetterSink: { uri: '/dead' } }],
    ['unknown ref', { deadLetterSink: { ref: { kind: 'Service', name: 'nope' } } }],
  ])('refuses %s', (_name, spec) => {
    expect(issuesOf(spec)).toHaveLength(1);
  });

  it('refuses a ref when no resolver is given', () => {
    expect(() =>
      resolveDeliveryPolicy({ deadLetterSink: { ref: { kind: 'Service', name: 'dls' } } }),
    ).toThrow(/cannot resolve ref Service\/dls/);
  });
});
