/**
 * One running Source (KafkaSource, RabbitmqSource, NatsSource, PubSubSource, or a Bridge's source
 * with its filter): every Delivery goes
 * to the source's sink with its delivery spec (retries, backoff, dead-letter), then is settled by
 * the at-least-once rule of issue 4:
 * - delivered or dead-lettered: ack (the offset may advance / the message is removed);
 * - failed while trying again may help (the sink or the dead-letter sink is down): nack, so the
 *   source keeps its place and hands the event out again after a backoff;
 * - refused for good (a 4xx other than the retriable ones) with no dead-letter sink: acked and
 *   counted as dropped, with an error log, as Knative does (redelivering cannot help and would
 *   block an ordered partition forever).
 */
import { setMaxListeners } from 'node:events';
import {
  type AddressableSender,
  backoffDelayMs,
  type CompiledFilter,
  type ComponentStatus,
  type Delivery,
  type DeliveryPolicy,
  type DeliveryTracer,
  deliverWithRetries,
  type Logger,
  type MeshEvent,
  type Source,
  withAttributes,
} from '@meshgate/core';

export interface SourceCounters {
  /** Deliveries handed out by the source (redeliveries included). */
  received: number;
  delivered: number;
  deadLettered: number;
  /** Delivery (and dead-lettering) failed; nacked, so the event comes again. */
  failed: number;
  /** Refused for good with no dead-letter sink: acked and logged. */
  dropped: number;
  inFlight: number;
  /** A Bridge's filter did not match: acked, not delivered. */
  filtered?: number;
}

export interface SourceRuntimeOptions {
  /** `<Kind> <namespace>/<name>`. */
  key: string;
  kind: string;
  namespace: string;
  source: Source;
  /** Where events go (a URL; the gateway's own Brokers and Sinks are served in-process by `sender`). */
  sinkUrl: string;
  policy: DeliveryPolicy;
  /** `ceOverrides.extensions`: set on every event before delivery (Knative's CloudEventOverrides). */
  extensions?: Record<string, string>;
  sender: AddressableSender;
  logger: Logger;
  /** Tells unchanged resources from changed ones on reload. */
  fingerprint: string;
  /** A Bridge's filter: events it does not match are acked and counted, never delivered. */
  filter?: CompiledFilter;
  /** Extra headers on every delivery (a Bridge to a peer: the peer's token and our id). */
  headers?: Record<string, string>;
  /** Applied to each event before delivery (a Bridge to a peer records this gateway on the route). */
  transform?: (event: MeshEvent) => MeshEvent;
  /** A span per delivery (`deliver <Kind> <ns>/<name>`), in the event's trace. */
  tracer?: DeliveryTracer;
}

/** A source's view for the admin API. */
export interface SourceInfo {
  key: string;
  kind: string;
  sink: string;
  status: ComponentStatus;
  counters: SourceCounters;
  /** Events waiting in the middleware for this source (see Source.backlog), when it tells. */
  backlog?: number;
  lastError?: string;
}

export class SourceRuntime {
  readonly counters: SourceCounters = {
    received: 0,
    delivered: 0,
    deadLettered: 0,
    failed: 0,
    dropped: 0,
    inFlight: 0,
  };
  lastError: string | undefined;
  private readonly abort = new AbortController();
  private started = false;

  constructor(readonly options: SourceRuntimeOptions) {
    // Every in-flight delivery listens on this one signal.
    setMaxListeners(0, this.abort.signal);
  }

  get key(): string {
    return this.options.key;
  }

  get fingerprint(): string {
    return this.options.fingerprint;
  }

  /** Starts consuming; connection problems are retried by the source and shown in `status()`. */
  async start(): Promise<void> {
    await this.options.source.start(this.handle);
    this.started = true;
    this.options.logger.info({ source: this.key, sink: this.options.sinkUrl }, 'source started');
  }

  status(): ComponentStatus {
    return this.options.source.status();
  }

  info(): SourceInfo {
    const backlog = this.options.source.backlog?.();
    return {
      key: this.key,
      kind: this.options.kind,
      sink: this.options.sinkUrl,
      status: this.status(),
      counters: { ...this.counters },
      ...(backlog !== undefined && { backlog }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  private readonly handle = (delivery: Delivery): void => {
    this.counters.received++;
    if (this.options.filter && !this.options.filter.matches(delivery.event)) {
      this.counters.filtered = (this.counters.filtered ?? 0) + 1;
      delivery.ack();
      return;
    }
    this.counters.inFlight++;
    this.deliver(delivery)
      .catch((err: unknown) => {
        this.options.logger.error({ err, source: this.key }, 'unexpected error in source delivery');
        delivery.nack(err instanceof Error ? err : new Error(String(err)), 1000);
      })
      .finally(() => {
        this.counters.inFlight--;
      });
  };

  private async deliver(delivery: Delivery): Promise<void> {
    const { policy, sender, logger } = this.options;
    const overridden = this.withOverrides(delivery.event);
    const event = this.options.transform ? this.options.transform(overridden) : overridden;
    const span = this.options.tracer?.startDelivery(
      this.key,
      event,
      this.options.kind === 'Bridge' ? 'bridge' : 'source',
    );
    const outcome = await deliverWithRetries(
      {
        url: this.options.sinkUrl,
        event,
        policy,
        headers: { ...span?.headers, ...this.options.headers, 'kn-namespace': this.options.namespace },
        ...(policy.mode && { mode: policy.mode }),
        signal: this.abort.signal,
      },
      sender,
    );
    span?.end(
      outcome.kind === 'failed' && !outcome.retriable && !policy.deadLetterUrl ? 'dropped' : outcome.kind,
      'error' in outcome ? outcome.error : undefined,
    );
    if (this.abort.signal.aborted) {
      // Stopping: give the event back so that the source can stop at once; it comes again.
      delivery.nack(new Error('source stopping'));
      return;
    }
    const id = event.attributes.id;
    switch (outcome.kind) {
      case 'delivered':
        this.counters.delivered++;
        delivery.ack();
        return;
      case 'dead-lettered':
        this.counters.deadLettered++;
        this.lastError = outcome.error;
        logger.warn(
          { source: this.key, id, origin: delivery.origin, attempts: outcome.attempts, error: outcome.error },
          'event dead-lettered',
        );
        delivery.ack();
        return;
      case 'failed':
        this.lastError = outcome.error;
        if (outcome.retriable || policy.deadLetterUrl) {
          this.counters.failed++;
          logger.error(
            { source: this.key, id, origin: delivery.origin, status: outcome.status, error: outcome.error },
            policy.deadLetterUrl
              ? 'delivery and dead-lettering failed; the source keeps its place and retries'
              : 'delivery failed; the source keeps its place and retries',
          );
          delivery.nack(new Error(outcome.error), nackDelayMs(policy));
          return;
        }
        this.counters.dropped++;
        logger.error(
          { source: this.key, id, origin: delivery.origin, status: outcome.status, error: outcome.error },
          'the sink refused the event for good and the source has no deadLetterSink: event dropped',
        );
        delivery.ack();
        return;
    }
  }

  private withOverrides(event: MeshEvent): MeshEvent {
    const ext = this.options.extensions;
    return ext && Object.keys(ext).length > 0 ? withAttributes(event, ext) : event;
  }

  /**
   * Stops consuming. In-flight deliveries get `graceMs` to finish (and be acked); those still
   * out then (e.g. waiting between retries) are abandoned: nacked, they come again later.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    const timer = setTimeout(() => this.abort.abort(), graceMs);
    try {
      if (this.started) await this.options.source.stop();
    } finally {
      clearTimeout(timer);
      this.abort.abort();
    }
    this.options.logger.info({ source: this.key }, 'source stopped');
  }
}

/** How long a stopping source lets in-flight deliveries finish before abandoning them. */
const STOP_GRACE_MS = 2_000;

/** The longest a nacked event waits before it comes again. */
const MAX_NACK_DELAY_MS = 30_000;

/** The backoff after the last retry, so a redelivery continues the schedule, capped. */
function nackDelayMs(policy: DeliveryPolicy): number {
  return Math.min(MAX_NACK_DELAY_MS, backoffDelayMs(policy, Math.max(1, policy.retry + 1)));
}
