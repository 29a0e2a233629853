/** One Broker at run time: its ingress (stamping, publishing) over its Channel. */
import type { Channel } from '../contracts.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { DEFAULT_MAX_BODY_BYTES, type BrokerDefinition } from './definitions.js';
import { stampIngress } from './ingress.js';
import { MemoryChannel } from './memory-channel.js';

export interface BrokerCounters {
  received: number;
  /** Refused at ingress, by reason: invalid, overloaded, unavailable, too-large, ... */
  rejected: Record<string, number>;
}

export class BrokerRuntime {
  readonly key: string;
  readonly counters: BrokerCounters = { received: 0, rejected: {} };

  constructor(
    readonly definition: BrokerDefinition,
    readonly channel: Channel,
  ) {
    this.key = `${definition.namespace}/${definition.name}`;
  }

  get maxBodyBytes(): number {
    return this.definition.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /**
   * Accepts events: resolves once the channel has them (durable channels: persisted). Throws
   * InvalidEventError for a used-up TTL, OverloadedError when the channel is full,
   * NotConnectedError when a durable channel is down. Returns the events as stamped.
   */
  async ingest(events: readonly MeshEvent[]): Promise<MeshEvent[]> {
    const stamped = events.map((e) => stampIngress(e));
    const channel = this.channel;
    if (channel instanceof MemoryChannel) {
      // Hot path: no promise per event.
      for (const e of stamped) channel.publishNow(e);
    } else if (stamped.length === 1) {
      await channel.publish(stamped[0] as MeshEvent);
    } else {
      await Promise.all(stamped.map((e) => channel.publish(e)));
    }
    this.counters.received += stamped.length;
    return stamped;
  }

  reject(reason: string, count = 1): void {
    this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + count;
  }
}
