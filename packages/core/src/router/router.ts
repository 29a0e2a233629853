/**
 * The Broker/Trigger router: holds the running Brokers and Triggers, and reconciles them with
 * a new set of definitions (a config reload) so that unchanged Triggers keep their queues and
 * lose nothing.
 */
import type { Channel } from '../contracts.js';
import type { DeliverySpec } from '../delivery/index.js';
import { resolveDeliveryPolicy } from '../delivery/index.js';
import type { AddressableSender } from '../delivery/sender.js';
import { MeshgateError } from '../errors.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { compileFilter } from '../filter/index.js';
import { type Logger, silentLogger } from '../logger.js';
import { BrokerRuntime } from './broker.js';
import {
  type BrokerDefinition,
  brokerKey,
  DEFAULT_BUFFER_SIZE,
  type TriggerDefinition,
} from './definitions.js';
import { MemoryChannel } from './memory-channel.js';
import type { DeliveryTracer, RouterObserver } from './observer.js';
import { TriggerRuntime } from './trigger.js';

export interface RouterOptions {
  sender: AddressableSender;
  /** Makes the Channel of a Broker whose channel kind is not `memory`. */
  channelFactory?: (definition: BrokerDefinition) => Channel | Promise<Channel>;
  /** Turns a deadLetterSink `ref` into a URL. */
  resolveRef?: Parameters<typeof resolveDeliveryPolicy>[1];
  logger?: Logger;
  observer?: RouterObserver;
  tracer?: DeliveryTracer;
}

export interface RouterDefinitions {
  brokers: readonly BrokerDefinition[];
  triggers: readonly TriggerDefinition[];
}

export interface ReconcileResult {
  brokers: { added: string[]; removed: string[]; changed: string[] };
  triggers: { added: string[]; removed: string[]; changed: string[]; unchanged: string[] };
}

export class BrokerNotFoundError extends MeshgateError {
  constructor(key: string) {
    super('NOT_FOUND', `no broker ${key}`);
  }
}

export class Router {
  private readonly brokers = new Map<string, BrokerRuntime>();
  private readonly triggers = new Map<string, TriggerRuntime>();
  private readonly logger: Logger;

  constructor(private readonly options: RouterOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  broker(namespace: string, name: string): BrokerRuntime | undefined {
    return this.brokers.get(brokerKey(namespace, name));
  }

  listBrokers(): BrokerRuntime[] {
    return [...this.brokers.values()];
  }

  /** A running Trigger by its `<namespace>/<name>` key. */
  trigger(key: string): TriggerRuntime | undefined {
    return this.triggers.get(key);
  }

  listTriggers(): TriggerRuntime[] {
    return [...this.triggers.values()];
  }

  /** Accepts events into a Broker; see BrokerRuntime.ingest for the errors. */
  async ingest(namespace: string, name: string, events: readonly MeshEvent[]): Promise<void> {
    const broker = this.broker(namespace, name);
    if (!broker) throw new BrokerNotFoundError(brokerKey(namespace, name));
    const accepted = await broker.ingest(events);
    const observer = this.options.observer;
    observer?.ingested?.(broker.key, accepted.length);
    if (observer?.event) for (const e of accepted) observer.event(broker.key, e);
  }

  /**
   * Brings the running set in line with `next`. Brokers whose definition changed are rebuilt
   * with all their Triggers; Triggers whose definition (or whose Broker's delivery) changed are
   * rebuilt; everything else keeps running untouched. Filters are compiled before anything
   * changes, so a bad definition throws and leaves the router as it was.
   */
  async reconcile(next: RouterDefinitions): Promise<ReconcileResult> {
    const result: ReconcileResult = {
      brokers: { added: [], removed: [], changed: [] },
      triggers: { added: [], removed: [], changed: [], unchanged: [] },
    };
    const nextBrokers = new Map(next.brokers.map((b) => [brokerKey(b.namespace, b.name), b]));
    const nextTriggers = new Map(next.triggers.map((t) => [brokerKey(t.namespace, t.name), t]));
    const compiled = new Map(
      next.triggers.map((t) => [
        brokerKey(t.namespace, t.name),
        compileFilter(t.filter, `trigger ${t.namespace}/${t.name}`),
      ]),
    );
    for (const t of next.triggers) {
      if (!nextBrokers.has(brokerKey(t.namespace, t.broker))) {
        throw new MeshgateError(
          'CONFIG_INVALID',
          `trigger ${t.namespace}/${t.name} names unknown broker ${t.namespace}/${t.broker}`,
        );
      }
    }

    // Brokers: remove and rebuild changed ones (with their triggers), add new ones.
    const rebuiltBrokers = new Set<string>();
    for (const [key, runtime] of this.brokers) {
      const def = nextBrokers.get(key);
      if (def && sameJson(channelIdentity(def), channelIdentity(runtime.definition))) continue;
      await this.stopBroker(key);
      if (def) result.brokers.changed.push(key);
      else result.brokers.removed.push(key);
      rebuiltBrokers.add(key);
    }
    for (const [key, def] of nextBrokers) {
      const existing = this.brokers.get(key);
      if (existing) {
        // Delivery-only changes keep the channel; the triggers are rebuilt below if affected.
        if (!sameJson(existing.definition, def)) {
          this.brokers.set(key, new BrokerRuntime(def, existing.channel));
        }
        continue;
      }
      this.brokers.set(key, new BrokerRuntime(def, await this.makeChannel(def)));
      if (!rebuiltBrokers.has(key)) result.brokers.added.push(key);
    }

    // Triggers.
    for (const [key, runtime] of [...this.triggers]) {
      const def = nextTriggers.get(key);
      const brokerDef = def ? nextBrokers.get(brokerKey(def.namespace, def.broker)) : undefined;
      const unchanged =
        def &&
        brokerDef &&
        sameJson(runtime.definition, def) &&
        sameJson(
          this.policyOf(runtime.definition, runtime.brokerDelivery),
          this.policyOf(def, brokerDef.delivery),
        ) &&
        this.brokers.get(brokerKey(def.namespace, def.broker))?.channel === runtime.channel;
      if (unchanged) {
        result.triggers.unchanged.push(key);
        continue;
      }
      await runtime.stop();
      this.triggers.delete(key);
      if (def) result.triggers.changed.push(key);
      else result.triggers.removed.push(key);
    }
    for (const [key, def] of nextTriggers) {
      if (this.triggers.has(key)) continue;
      await this.startTrigger(def, compiled.get(key) as ReturnType<typeof compileFilter>);
      if (!result.triggers.changed.includes(key)) result.triggers.added.push(key);
    }
    this.logger.info(
      {
        brokers: result.brokers,
        triggers: { ...result.triggers, unchanged: result.triggers.unchanged.length },
      },
      'router reconciled',
    );
    return result;
  }

  private policyOf(def: TriggerDefinition, brokerDelivery: DeliverySpec | undefined) {
    // Knative: a Trigger's delivery replaces the Broker's as a whole, field by field never mixed.
    return resolveDeliveryPolicy(def.delivery ?? brokerDelivery, this.options.resolveRef);
  }

  private async makeChannel(def: BrokerDefinition): Promise<Channel> {
    if (def.channel.kind === 'memory') {
      return new MemoryChannel({
        name: brokerKey(def.namespace, def.name),
        capacity: def.bufferSize ?? DEFAULT_BUFFER_SIZE,
      });
    }
    if (!this.options.channelFactory) {
      throw new MeshgateError(
        'CONFIG_INVALID',
        `broker ${def.namespace}/${def.name}: no channel factory for kind ${def.channel.kind}`,
      );
    }
    return this.options.channelFactory(def);
  }

  private async startTrigger(
    def: TriggerDefinition,
    filter: ReturnType<typeof compileFilter>,
  ): Promise<void> {
    const key = brokerKey(def.namespace, def.name);
    const broker = this.brokers.get(brokerKey(def.namespace, def.broker)) as BrokerRuntime;
    const runtime = new TriggerRuntime({
      definition: def,
      filter,
      policy: this.policyOf(def, broker.definition.delivery),
      sender: this.options.sender,
      reply: (event) => this.ingest(def.namespace, def.broker, [event]),
      // Every line the Trigger logs names it already: no child logger (10,000 Triggers, 10,000 loggers).
      logger: this.logger,
      observer: this.options.observer,
      tracer: this.options.tracer,
    });
    runtime.brokerDelivery = broker.definition.delivery;
    runtime.channel = broker.channel;
    runtime.subscription = await broker.channel.subscribe(
      {
        name: `${def.namespace}.${def.broker}.${def.name}`,
        maxInFlight: runtime.maxInFlight,
        ordered: def.ordered,
        ...(def.startFrom && { startFrom: def.startFrom }),
        filter,
      },
      runtime.handle,
    );
    this.triggers.set(key, runtime);
  }

  private async stopBroker(key: string): Promise<void> {
    const broker = this.brokers.get(key);
    if (!broker) return;
    for (const [tkey, t] of [...this.triggers]) {
      if (t.channel === broker.channel) {
        await t.stop();
        this.triggers.delete(tkey);
      }
    }
    this.brokers.delete(key);
    await broker.channel.close();
  }

  async close(): Promise<void> {
    for (const t of this.triggers.values()) await t.stop();
    this.triggers.clear();
    for (const b of this.brokers.values()) await b.channel.close();
    this.brokers.clear();
  }
}

/** What makes a Broker's channel: everything but its delivery spec. */
function channelIdentity(def: BrokerDefinition): unknown {
  const { delivery: _delivery, ...rest } = def;
  return rest;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
