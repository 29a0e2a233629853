/**
 * Sends to peers with a few requests in flight per link, and coalesces what waits meanwhile into
 * one batched request (CloudEvents batched mode), the way Nagle's algorithm does for TCP:
 * - when the link keeps up, each event goes alone at once (binary mode, nothing added to latency);
 * - when `maxInFlight` requests are out, events queue, and the next free slot takes up to
 *   `maxBatch` of them (and about `maxBatchBytes`) in one request.
 * Every event of a batch gets the batch's answer; the delivery engine retries each on its own, so
 * a retried event may travel in another batch. The receiving gateway decodes the batch, checks
 * each event (dedup, loops) and answers for all.
 */
import type { AddressableSender, SendBatchRequest, SendRequest, SendResponse } from '../delivery/sender.js';
import { approximateSize } from './forwarder.js';

export interface BatchingSenderOptions {
  /** Requests in flight per link (URL and headers) before events queue (default 4). */
  maxInFlight?: number;
  /** Events per batch at most (default 100; the receiver's batch limit is 1,000 by default). */
  maxBatch?: number;
  /** Approximate bytes per batch at most (default 256 KiB, under a Broker's 1 MiB body limit). */
  maxBatchBytes?: number;
}

interface Waiting {
  request: SendRequest;
  size: number;
  resolve(response: SendResponse): void;
  reject(err: unknown): void;
}

interface Link {
  inFlight: number;
  queue: Waiting[];
}

export class BatchingSender implements AddressableSender {
  readonly #inner: AddressableSender;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  readonly #links = new Map<string, Link>();

  constructor(inner: AddressableSender, options: BatchingSenderOptions = {}) {
    this.#inner = inner;
    this.#maxInFlight = options.maxInFlight ?? 4;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
  }

  send(request: SendRequest): Promise<SendResponse> {
    // Without batch support (or when asked for structured mode) there is nothing to coalesce.
    if (this.#inner.sendBatch === undefined || request.mode === 'structured')
      return this.#inner.send(request);
    const key = linkKey(request);
    let link = this.#links.get(key);
    if (link === undefined) {
      link = { inFlight: 0, queue: [] };
      this.#links.set(key, link);
    }
    const promise = new Promise<SendResponse>((resolve, reject) => {
      // Base64 for binary data and JSON quoting make the batch larger than the event.
      (link as Link).queue.push({ request, size: approximateSize(request.event) * 1.4, resolve, reject });
    });
    this.#pump(key, link);
    return promise;
  }

  #pump(key: string, link: Link): void {
    while (link.inFlight < this.#maxInFlight && link.queue.length > 0) {
      const batch = this.#take(link);
      if (batch.length === 0) continue;
      link.inFlight++;
      this.#sendNow(batch)
        .then(
          (response) => {
            for (const w of batch) w.resolve(response);
          },
          (err: unknown) => {
            for (const w of batch) w.reject(err);
          },
        )
        .finally(() => {
          link.inFlight--;
          if (link.inFlight === 0 && link.queue.length === 0) this.#links.delete(key);
          else this.#pump(key, link);
        });
    }
  }

  /** Up to maxBatch waiting events within maxBatchBytes; those whose caller gave up are refused. */
  #take(link: Link): Waiting[] {
    const batch: Waiting[] = [];
    let bytes = 0;
    while (link.queue.length > 0 && batch.length < this.#maxBatch) {
      const next = link.queue[0] as Waiting;
      if (batch.length > 0 && bytes + next.size > this.#maxBatchBytes) break;
      link.queue.shift();
      if (next.request.signal?.aborted) {
        next.reject(next.request.signal.reason ?? new Error('aborted'));
        continue;
      }
      batch.push(next);
      bytes += next.size;
    }
    return batch;
  }

  #sendNow(batch: Waiting[]): Promise<SendResponse> {
    const first = (batch[0] as Waiting).request;
    if (batch.length === 1) return this.#inner.send(first);
    const timeouts = batch.map((w) => w.request.timeoutMs).filter((t): t is number => t !== undefined);
    const request: SendBatchRequest = {
      url: first.url,
      events: batch.map((w) => w.request.event),
      ...(first.headers !== undefined && { headers: first.headers }),
      ...(timeouts.length > 0 && { timeoutMs: Math.min(...timeouts) }),
    };
    return (this.#inner.sendBatch as NonNullable<AddressableSender['sendBatch']>).call(this.#inner, request);
  }
}

/** Events to the same URL with the same headers (token, peer id) may share a request. */
function linkKey(request: SendRequest): string {
  const headers = request.headers;
  if (headers === undefined) return request.url;
  const names = Object.keys(headers).sort();
  return `${request.url}\n${names.map((n) => `${n}:${headers[n]}`).join('\n')}`;
}
