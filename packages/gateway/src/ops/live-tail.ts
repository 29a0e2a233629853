/**
 * Live tails of Brokers and Triggers as server-sent events. The router's per-event hook is only
 * present while a tail is open (the Gateway's fan-out asks `event` each time), so a gateway
 * nobody watches pays nothing. Each client has a bounded queue: a slow client loses events
 * (counted, and told) instead of slowing the router.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import type { ServerResponse } from 'node:http';
import type { CompiledFilter, MeshEvent, RouterObserver } from '@meshgate/core';
import { eventJson } from './event-json.js';

/** Bytes that may wait in a client's socket buffer before its events are dropped. */
export const DEFAULT_TAIL_BUFFER_BYTES = 512 * 1024;
const HEARTBEAT_MS = 15_000;

export interface TailOptions {
  /** `namespace/broker` the events come from. */
  broker: string;
  /** Events must pass all of these (a Trigger's own filter, the client's filter). */
  filters: CompiledFilter[];
  withData: boolean;
  /** Bytes that may wait for the client before newer events are dropped. */
  bufferBytes?: number;
}

/** One SSE client. */
export class TailClient {
  sent = 0;
  dropped = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private reportedDrops = 0;

  constructor(
    private readonly res: ServerResponse,
    readonly options: TailOptions,
    onClose: () => void,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n: tail of ${options.broker}\n\n`);
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
    res.on('close', () => {
      this.closed = true;
      clearInterval(this.heartbeat);
      onClose();
    });
  }

  offer(event: MeshEvent): void {
    if (this.closed) return;
    for (const f of this.options.filters) if (!f.matches(event)) return;
    if (this.res.writableLength > (this.options.bufferBytes ?? DEFAULT_TAIL_BUFFER_BYTES)) {
      this.dropped++;
      return;
    }
    if (this.dropped > this.reportedDrops) {
      // Tell the client how many it missed once it keeps up again.
      this.reportedDrops = this.dropped;
      this.write(`event: dropped\ndata: ${JSON.stringify({ dropped: this.dropped })}\n\n`);
    }
    const body = JSON.stringify(eventJson(event, this.options.withData));
    this.sent++;
    this.write(`event: cloudevent\nid: ${this.sent}\ndata: ${body}\n\n`);
  }

  private write(chunk: string): void {
    if (!this.closed) this.res.write(chunk);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.res.end();
  }
}

/** All open tails, and the observer that feeds them (its `event` hook exists only while one is open). */
export class TailHub {
  private readonly byBroker = new Map<string, Set<TailClient>>();

  readonly observer: RouterObserver = Object.defineProperty({} as RouterObserver, 'event', {
    enumerable: true,
    get: () => (this.byBroker.size === 0 ? undefined : this.dispatch),
  });

  private readonly dispatch = (broker: string, event: MeshEvent): void => {
    const clients = this.byBroker.get(broker);
    if (clients) for (const c of clients) c.offer(event);
  };

  open(res: ServerResponse, options: TailOptions): TailClient {
    let set = this.byBroker.get(options.broker);
    if (!set) {
      set = new Set();
      this.byBroker.set(options.broker, set);
    }
    const client = new TailClient(res, options, () => {
      set.delete(client);
      if (set.size === 0 && this.byBroker.get(options.broker) === set) this.byBroker.delete(options.broker);
    });
    set.add(client);
    return client;
  }

  get size(): number {
    let n = 0;
    for (const s of this.byBroker.values()) n += s.size;
    return n;
  }

  closeAll(): void {
    for (const s of this.byBroker.values()) for (const c of s) c.close();
    this.byBroker.clear();
  }
}
