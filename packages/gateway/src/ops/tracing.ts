/**
 * Delivery tracing with OpenTelemetry: one CLIENT span per delivery of an event (a Trigger to its
 * subscriber, a Source or Bridge to its sink, a Broker's copy to a peer), a child of the event's
 * `traceparent` extension (the CloudEvents distributed tracing extension), and a W3C
 * `traceparent` header on every attempt so the receiver continues the trace. Exported over OTLP/HTTP (JSON). Without an endpoint there is no tracer
 * at all, so the router does no tracing work.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/extensions/distributed-tracing.md
 * @see https://www.w3.org/TR/trace-context/#traceparent-header
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
import {
  type Context,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { createRequire } from 'node:module';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ConfigError,
  type DeliveryTracer,
  type DeliveryKind,
  type Logger,
  type MeshEvent,
  type TriggerOutcomeKind,
  withAttributes,
} from '@meshgate/core';

export interface TracingOptions {
  /** Where spans go: the OTLP/HTTP traces URL (e.g. `http://collector:4318/v1/traces`). */
  tracesUrl?: string;
  /** Or a custom exporter (tests). */
  exporter?: SpanExporter;
  serviceName?: string;
  /** This gateway's id, as the `meshgate.gateway.id` resource attribute. */
  gatewayId?: string;
  /** Extra OTLP request headers (e.g. an API key). */
  headers?: Record<string, string>;
  /** How often batched spans are exported (default 1000 ms). */
  exportDelayMs?: number;
}

export interface Tracing {
  tracer: DeliveryTracer;
  /** Exports what is pending. */
  flush(): Promise<void>;
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** The span context a W3C `traceparent` value names, or undefined when it is not a valid one. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  // Version ff is invalid; all-zero ids are invalid (W3C Trace Context §3.2.2).
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  if (version === '00' && value.trim().length !== 55) return undefined;
  return {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags & TraceFlags.SAMPLED ? '01' : '00'}`;
}

/** A DeliveryTracer over an OpenTelemetry Tracer. */
export class OtelDeliveryTracer implements DeliveryTracer {
  constructor(private readonly tracer: Tracer) {}

  startDelivery(
    destination: string,
    event: MeshEvent,
    kind: DeliveryKind = 'trigger',
  ): { headers: Record<string, string>; end(outcome: TriggerOutcomeKind, error?: string): void } {
    const a = event.attributes;
    const parent = parseTraceparent(a.traceparent);
    const context: Context = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const operation = kind === 'peer' ? 'forward' : 'deliver';
    const span = this.tracer.startSpan(
      `${operation} ${destination}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'messaging.system': 'meshgate',
          'messaging.operation.type': 'send',
          'messaging.operation.name': operation,
          'messaging.destination.name': destination,
          'meshgate.delivery.kind': kind,
          'messaging.message.id': String(a.id ?? ''),
          'cloudevents.event_id': String(a.id ?? ''),
          'cloudevents.event_source': String(a.source ?? ''),
          'cloudevents.event_type': String(a.type ?? ''),
          'cloudevents.event_spec_version': String(a.specversion ?? ''),
          ...(a.subject !== undefined && { 'cloudevents.event_subject': String(a.subject) }),
        },
      },
      context,
    );
    const headers: Record<string, string> = { traceparent: formatTraceparent(span.spanContext()) };
    if (typeof a.tracestate === 'string' && a.tracestate) headers.tracestate = a.tracestate;
    return {
      headers,
      end(outcome, error) {
        span.setAttribute('meshgate.delivery.outcome', outcome);
        if (outcome === 'delivered') span.setStatus({ code: SpanStatusCode.OK });
        else span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? outcome });
        span.end();
      },
    };
  }
}

const require = createRequire(import.meta.url);

/**
 * The OpenTelemetry SDK and OTLP exporter, loaded only when tracing is on: a gateway without it
 * does not carry their ~15 MB (they are CommonJS, so require keeps createTracing synchronous).
 */
function otelSdk() {
  return {
    ...(require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')),
    ...(require('@opentelemetry/resources') as typeof import('@opentelemetry/resources')),
    ...(require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base')),
    ...(require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions')),
  };
}

export function createTracing(options: TracingOptions): Tracing {
  const {
    OTLPTraceExporter,
    BatchSpanProcessor,
    BasicTracerProvider,
    resourceFromAttributes,
    ATTR_SERVICE_NAME,
    ATTR_SERVICE_VERSION,
  } = otelSdk();
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({
      ...(options.tracesUrl && { url: options.tracesUrl }),
      ...(options.headers && { headers: options.headers }),
    });
  const processor = new BatchSpanProcessor(exporter, {
    scheduledDelayMillis: options.exportDelayMs ?? 1000,
    maxQueueSize: 4096,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName ?? 'meshgate',
      [ATTR_SERVICE_VERSION]: '0.1.0',
      ...(options.gatewayId && { 'meshgate.gateway.id': options.gatewayId }),
    }),
    spanProcessors: [processor],
  });
  return {
    tracer: new OtelDeliveryTracer(provider.getTracer('@meshgate/gateway', '0.1.0')),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Tracing from the standard OpenTelemetry variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the
 * full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`); `OTEL_SERVICE_NAME`;
 * `OTEL_SDK_DISABLED=true` turns it off. Returns undefined (no tracing) when no endpoint is set.
 * Only the OTLP/HTTP JSON protocol is supported (another one asked for: a warning, JSON anyway).
 * A malformed endpoint is a ConfigError.
 */
export function tracingFromEnv(
  env: Record<string, string | undefined>,
  options: { gatewayId?: string; logger?: Logger; endpoint?: string } = {},
): Tracing | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const tracesUrl =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() ||
    tracesUrlOf(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? options.endpoint);
  if (!tracesUrl) return undefined;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
  if (protocol && protocol !== 'http/json')
    // Collectors take JSON on the same /v1/traces path, so this is not fatal.
    options.logger?.warn({ protocol }, 'only OTLP http/json is supported; exporting JSON');
  try {
    new URL(tracesUrl);
  } catch {
    throw new ConfigError(`OTLP endpoint ${tracesUrl} is not a URL`, [
      { path: 'OTEL_EXPORTER_OTLP_ENDPOINT', message: 'expected a URL like http://collector:4318' },
    ]);
  }
  options.logger?.info({ tracesUrl }, 'tracing deliveries to OTLP/HTTP');
  return createTracing({
    tracesUrl,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'meshgate',
    ...(options.gatewayId && { gatewayId: options.gatewayId }),
  });
}

function tracesUrlOf(endpoint: string | undefined): string | undefined {
  const e = endpoint?.trim();
  if (!e) return undefined;
  return `${e.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Ingress: an event without the distributed tracing extension, posted with a valid W3C
 * `traceparent` header (an instrumented HTTP client), joins that trace: the header's values become
 * its `traceparent`/`tracestate` extensions. An event's own extension always wins.
 */
export function adoptTraceHeaders(
  events: readonly MeshEvent[],
  headers: Record<string, string | string[] | undefined>,
): readonly MeshEvent[] {
  const traceparent = headers.traceparent;
  if (typeof traceparent !== 'string' || !parseTraceparent(traceparent)) return events;
  const tracestate = headers.tracestate;
  const extra: Record<string, string> = { traceparent: traceparent.trim().toLowerCase() };
  if (typeof tracestate === 'string' && tracestate.trim()) extra.tracestate = tracestate.trim();
  return events.map((e) => (e.attributes.traceparent === undefined ? withAttributes(e, extra) : e));
}
