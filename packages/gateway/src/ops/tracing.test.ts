import { makeEvent } from '@meshgate/core';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createTracing, formatTraceparent, parseTraceparent, tracingFromEnv } from './tracing.js';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('traceparent', () => {
  it('parses a valid W3C traceparent and formats it back', () => {
    const ctx = parseTraceparent(PARENT);
    expect(ctx).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
    expect(ctx && formatTraceparent(ctx)).toBe(PARENT);
  });

  it.each([
    'nope',
    '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
    'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    42,
  ])('refuses %s', (value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('OtelDeliveryTracer', () => {
  it('makes a CLIENT span, child of the event traceparent, and a header continuing it', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ exporter, gatewayId: 'east' });
    const event = makeEvent({
      specversion: '1.0',
      id: 'e1',
      source: '/s',
      type: 'order',
      traceparent: PARENT,
    });
    const d = tracing.tracer.startDelivery('ns/t', event);
    const header = parseTraceparent(d.headers.traceparent);
    expect(header?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(header?.spanId).not.toBe('b7ad6b7169203331');
    d.end('dead-lettered', 'HTTP 500');
    await tracing.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('deliver ns/t');
    expect(span?.kind).toBe(2); // CLIENT
    expect(span?.spanContext().spanId).toBe(header?.spanId);
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span?.attributes['cloudevents.event_id']).toBe('e1');
    expect(span?.attributes['meshgate.delivery.outcome']).toBe('dead-lettered');
    expect(span?.status).toMatchObject({ code: 2, message: 'HTTP 500' });
    expect(span?.resource.attributes['meshgate.gateway.id']).toBe('east');
    await tracing.shutdown();
  });

  it('starts a new trace for an event without traceparent', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ exporter });
    const d = tracing.tracer.startDelivery(
      'ns/t',
      makeEvent({ specversion: '1.0', id: 'e', source: '/s', type: 't' }),
    );
    expect(parseTraceparent(d.headers.traceparent)).toBeDefined();
    d.end('delivered');
    await tracing.flush();
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
    await tracing.shutdown();
  });
});

describe('tracingFromEnv', () => {
  it('is off without an endpoint or when the SDK is disabled', () => {
    expect(tracingFromEnv({})).toBeUndefined();
    expect(
      tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
  });

  it('refuses an endpoint that is not a URL', () => {
    expect(() => tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/not a URL/);
  });

  it('builds tracing from OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const t = tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' });
    expect(t).toBeDefined();
    await t?.shutdown();
  });
});
