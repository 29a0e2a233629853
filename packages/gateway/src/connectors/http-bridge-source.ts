/**
 * The HTTP source of a Bridge: CloudEvents posted to the Bridge's path go through its filter to its
 * sink. The answer waits for the outcome, so the sender keeps the event until it is safe:
 * - `202` once every event of the request was delivered, dead-lettered or filtered out (acked);
 * - `503` with `Retry-After` when one could not be delivered (nacked): send the request again;
 * - `429` when more than `maxPending` events are waiting on this Bridge already.
 * At least once, as the other sources: a retried request may deliver some of its events twice.
 */
import {
  type ComponentStatus,
  type Delivery,
  type DeliveryHandler,
  MeshgateError,
  type MeshEvent,
  NotConnectedError,
  OverloadedError,
  type Source,
} from '@meshgate/core';
import type { Addressable } from '../http/addressables.js';

export interface HttpBridgeSourceOptions {
  /** `<namespace>/<name>` of the Bridge (the key policies name). */
  key: string;
  /** Where it is served. */
  path: string;
  maxBodyBytes: number;
  /** Events waiting for their outcome, across requests, before new ones get 429. */
  maxPending?: number;
}

/** Events waiting on one HTTP Bridge at most; a bounded queue, as the memory channel's. */
export const DEFAULT_MAX_PENDING = 1_000;

export class HttpBridgeSource implements Source {
  readonly name: string;
  private handler: DeliveryHandler | undefined;
  private pending = 0;
  private readonly maxPending: number;
  /** What the HTTP server calls for a request to `path`. */
  readonly addressable: Addressable;

  constructor(private readonly options: HttpBridgeSourceOptions) {
    this.name = options.key;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.addressable = {
      kind: 'bridge',
      key: options.key,
      maxBodyBytes: options.maxBodyBytes,
      accept: (events) => this.accept(events),
    };
  }

  get path(): string {
    return this.options.path;
  }

  async start(handler: DeliveryHandler): Promise<void> {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    // Requests still waiting are answered by their nack (the runtime aborts them on stop).
    this.handler = undefined;
  }

  status(): ComponentStatus {
    return this.handler ? { state: 'ready' } : { state: 'stopped', reason: 'not started' };
  }

  private async accept(events: readonly MeshEvent[]): Promise<void> {
    const handler = this.handler;
    if (!handler) throw new NotConnectedError(`bridge ${this.options.key} is not running`);
    if (this.pending + events.length > this.maxPending) {
      throw new OverloadedError(
        `bridge ${this.options.key} has ${this.pending} events waiting (limit ${this.maxPending}); try again later`,
      );
    }
    this.pending += events.length;
    try {
      await Promise.all(events.map((event, i) => this.offer(handler, event, i)));
    } finally {
      this.pending -= events.length;
    }
  }

  private offer(handler: DeliveryHandler, event: MeshEvent, index: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const delivery: Delivery = {
        event,
        origin: `${this.options.path}#${index}`,
        redeliveries: 0,
        ack: resolve,
        nack: (reason) =>
          reject(
            new MeshgateError(
              'DELIVERY_FAILED',
              `bridge ${this.options.key} could not deliver event ${event.attributes.id}: ${reason.message}; send it again`,
              { retriable: true, cause: reason },
            ),
          ),
      };
      handler(delivery);
    });
  }
}
