/**
 * One Trigger at run time: its own channel subscription (so its own queue and progress), its
 * compiled filter, and the delivery loop with Knative's retry and dead-letter contract.
 */
import { setMaxListeners } from 'node:events';
import type { Channel, ChannelSubscription, Delivery } from '../contracts.js';
import type { DeliveryOutcome, DeliveryPolicy, DeliverySpec } from '../delivery/index.js';
import { backoffDelayMs, deliverWithRetries } from '../delivery/index.js';
import type { AddressableSender } from '../delivery/sender.js';
import { type MeshEvent, withAttributes } from '../event/mesh-event.js';
import type { CompiledFilter } from '../filter/index.js';
import type { Logger } from '../logger.js';
import { DEFAULT_MAX_IN_FLIGHT, type TriggerDefinition } from './definitions.js';
import { ARRIVAL_TIME_ATTRIBUTE, replyWithTtl, TTL_ATTRIBUTE, brokerTtl } from './ingress.js';
import type { DeliveryTracer, RouterObserver, TriggerOutcomeKind } from './observer.js';

export interface TriggerCounters {
  /** Events that passed the filter and were handed to delivery. */
  received: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  /** Delivery and dead-lettering both failed: the event was nacked and will come again. */
  failed: number;
  /** Retries exhausted with no dead-letter sink: dropped, as Knative does. */
  dropped: number;
  inFlight: number;
}

export interface TriggerRuntimeOptions {
  definition: TriggerDefinition;
  filter: CompiledFilter;
  policy: DeliveryPolicy;
  sender: AddressableSender;
  /** Re-enters a subscriber's reply into the Trigger's Broker. */
  reply: (event: MeshEvent) => Promise<void>;
  logger: Logger;
  observer?: RouterObserver;
  tracer?: DeliveryTracer;
}

export class TriggerRuntime {
  readonly key: string;
  /** Its Broker's `<namespace>/<name>`. */
  readonly brokerKey: string;
  readonly counters: TriggerCounters = {
    received: 0,
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    failed: 0,
    dropped: 0,
    inFlight: 0,
  };
  lastError: string | undefined;
  subscription: ChannelSubscription | undefined;
  /** The channel it subscribes to and its Broker's delivery spec, to tell when it must be rebuilt. */
  channel: Channel | undefined;
  brokerDelivery: DeliverySpec | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly options: TriggerRuntimeOptions) {
    // Every in-flight delivery listens on this one signal (up to maxInFlight at once).
    setMaxListeners(0, this.abort.signal);
    const d = options.definition;
    this.key = `${d.namespace}/${d.name}`;
    this.brokerKey = `${d.namespace}/${d.broker}`;
  }

  get definition(): TriggerDefinition {
    return this.options.definition;
  }

  get filter(): CompiledFilter {
    return this.options.filter;
  }

  get maxInFlight(): number {
    return this.options.definition.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  }

  /** The channel's delivery handler for this Trigger's subscription. */
  readonly handle = (delivery: Delivery): void => {
    // Durable channels hand every event of the Broker to every Trigger; the memory channel
    // has already filtered through its index. Either way, the filter decides.
    if (!this.options.filter.matches(delivery.event)) {
      delivery.ack();
      return;
    }
    this.counters.received++;
    this.counters.inFlight++;
    this.deliver(delivery).then(
      () => {
        this.counters.inFlight--;
      },
      (err: unknown) => {
        this.counters.inFlight--;
        this.options.logger.error({ err, trigger: this.key }, 'unexpected error in delivery');
        delivery.nack(err instanceof Error ? err : new Error(String(err)), 1000);
      },
    );
  };

  private async deliver(delivery: Delivery): Promise<void> {
    const { definition, policy, sender, observer, logger } = this.options;
    const event = delivery.event;
    const span = this.options.tracer?.startDelivery(this.key, event);
    const outcome: DeliveryOutcome = await deliverWithRetries(
      {
        url: definition.subscriberUrl,
        event: withoutTtlForSubscriber(event),
        policy,
        headers: span
          ? { ...span.headers, 'kn-namespace': definition.namespace }
          : { 'kn-namespace': definition.namespace },
        ...((definition.contentMode ?? policy.mode) && { mode: definition.contentMode ?? policy.mode }),
        signal: this.abort.signal,
        observer: {
          attempt: (info) => observer?.attempt?.(this.key, info.status, info.durationMs),
          retry: () => {
            this.counters.retried++;
            observer?.retried?.(this.key);
          },
        },
      },
      sender,
    );
    if (this.abort.signal.aborted) {
      span?.end('failed', 'stopped');
      return; // stopping: leave the event un-acked
    }
    const id = event.attributes.id;
    let kind: TriggerOutcomeKind;
    switch (outcome.kind) {
      case 'delivered':
        kind = 'delivered';
        this.counters.delivered++;
        if (outcome.reply) await this.forwardReply(outcome.reply, event);
        delivery.ack();
        break;
      case 'dead-lettered':
        kind = 'dead-lettered';
        this.counters.deadLettered++;
        this.lastError = outcome.error;
        logger.warn(
          { trigger: this.key, id, attempts: outcome.attempts, status: outcome.status, error: outcome.error },
          'event dead-lettered',
        );
        observer?.deadLettered?.(this.key, event, outcome.error);
        delivery.ack();
        break;
      case 'failed':
        this.lastError = outcome.error;
        if (policy.deadLetterUrl) {
          // The dead-letter sink failed too: the event is not safe, so the channel or source
          // keeps its place and hands it out again.
          kind = 'failed';
          this.counters.failed++;
          logger.error(
            { trigger: this.key, id, error: outcome.error },
            'delivery and dead-lettering failed; will retry',
          );
          delivery.nack(new Error(outcome.error), backoffDelayMs(policy, Math.max(1, policy.retry)));
        } else {
          kind = 'dropped';
          this.counters.dropped++;
          logger.error(
            {
              trigger: this.key,
              id,
              attempts: outcome.attempts,
              status: outcome.status,
              error: outcome.error,
            },
            'delivery failed and the trigger has no deadLetterSink: event dropped',
          );
          delivery.ack();
        }
        break;
    }
    span?.end(kind, outcome.kind === 'delivered' ? undefined : outcome.error);
    observer?.outcome?.(this.key, kind, sinceArrival(event));
  }

  private async forwardReply(reply: MeshEvent, original: MeshEvent): Promise<void> {
    const next = replyWithTtl(reply, original);
    if ((brokerTtl(next) ?? 1) <= 0) {
      this.options.logger.warn(
        { trigger: this.key, id: reply.attributes.id },
        'reply dropped: knativebrokerttl exhausted',
      );
      return;
    }
    try {
      await this.options.reply(next);
    } catch (err) {
      this.options.logger.warn(
        { trigger: this.key, id: reply.attributes.id, err },
        'reply could not enter the broker',
      );
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.subscription?.close();
  }
}

/** Knative keeps the TTL inside the broker: subscribers see the event without it. */
function withoutTtlForSubscriber(event: MeshEvent): MeshEvent {
  if (!(TTL_ATTRIBUTE in event.attributes)) return event;
  return withAttributes(event, { [TTL_ATTRIBUTE]: undefined });
}

function sinceArrival(event: MeshEvent): number | undefined {
  const at = event.attributes[ARRIVAL_TIME_ATTRIBUTE];
  if (typeof at !== 'string') return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : Date.now() - t;
}
