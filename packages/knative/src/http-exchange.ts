/**
 * One HTTP request and its answer over undici's `dispatch` handler API: the body bytes are
 * collected straight from the parser, with no response stream, async iterator or AbortSignal
 * per request. The sender does one of these per delivery attempt, so this is the hot path; undici's
 * `request()` builds a Readable and wires an AbortSignal for every call, which cost a third of
 * the sender's time in the ingress benchmark's profile.
 */
import type { Dispatcher } from 'undici';

/** What came back: status, headers (lower-case names) and the body up to the limit. */
export interface ExchangeResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
  /** The body went past the limit: the connection was closed instead of read to the end. */
  truncated: boolean;
  size: number;
}

/** Why an exchange was aborted by its caller: a timeout or the caller's signal. */
export class TimeoutReason {
  constructor(readonly ms: number) {}
}

const EMPTY = Buffer.alloc(0);

export class HttpExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: unknown;
  private settled = false;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private limit: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limitFor: (status: number) => number,
    private readonly resolve: (result: ExchangeResult) => void,
    /** Gets the undici error and, when the caller aborted, the reason it gave. */
    private readonly reject: (err: unknown, abortReason: unknown) => void,
    timeoutMs: number | undefined,
    private readonly done?: (exchange: HttpExchange) => void,
  ) {
    this.limit = 0;
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.abort(new TimeoutReason(timeoutMs)), timeoutMs);
    }
  }

  /**
   * Gives up: the caller's promise rejects at once; undici aborts the request when it holds it,
   * or as soon as a connection takes it (undici has no way to take a queued request back).
   */
  abort(reason: unknown): void {
    if (this.settled) return;
    this.abortReason = reason;
    const err = new Error('aborted', { cause: reason });
    this.controller?.abort(err);
    this.fail(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason !== undefined) controller.abort(new Error('aborted'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    this.status = statusCode;
    this.headers = headers;
    this.limit = this.limitFor(statusCode);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.byteLength;
    this.chunks.push(chunk);
    if (this.size > this.limit) {
      // Too big to keep: close the connection rather than read the rest into memory.
      const result = this.result(true);
      this.finish();
      controller.abort(new Error('response body over the limit'));
      this.resolve(result);
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    const result = this.result(false);
    this.finish();
    this.resolve(result);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.finish();
    this.reject(error, this.abortReason);
  }

  private result(truncated: boolean): ExchangeResult {
    const { chunks } = this;
    const bytes =
      chunks.length === 0 ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    return { status: this.status, headers: this.headers, bytes, truncated, size: this.size };
  }

  private finish(): void {
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.chunks = [];
    this.done?.(this);
  }
}

/**
 * Aborts the exchanges tied to an AbortSignal when it fires, with one listener per signal rather
 * than one per request (a Trigger's signal is shared by all its in-flight deliveries).
 */
export class SignalRegistry {
  private readonly bySignal = new WeakMap<AbortSignal, Set<HttpExchange>>();

  /** Ties `exchange` to `signal`; returns false when the signal has already fired. */
  add(signal: AbortSignal, exchange: HttpExchange): boolean {
    if (signal.aborted) return false;
    let set = this.bySignal.get(signal);
    if (set === undefined) {
      const members = new Set<HttpExchange>();
      set = members;
      this.bySignal.set(signal, members);
      signal.addEventListener(
        'abort',
        () => {
          for (const e of members) e.abort(signal.reason);
          members.clear();
        },
        { once: true },
      );
    }
    set.add(exchange);
    return true;
  }

  remove(signal: AbortSignal, exchange: HttpExchange): void {
    this.bySignal.get(signal)?.delete(exchange);
  }
}
