/**
 * A backlog read from the middleware every few seconds (a queue's depth, a consumer's pending
 * count) and kept, so that metrics scrapes and admin views read a number and never wait on a
 * broker. A failed read forgets the number (unknown) rather than keep a stale one.
 */
export class BacklogReader {
  private timer: NodeJS.Timeout | undefined;
  private last: number | undefined;

  constructor(
    private readonly read: () => Promise<number | undefined>,
    private readonly intervalMs = 5_000,
  ) {}

  start(): void {
    this.stop();
    this.timer = setInterval(() => {
      this.read().then(
        (n) => {
          if (this.timer !== undefined) this.last = n;
        },
        () => {
          this.last = undefined;
        },
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  /** The last reading; undefined before the first, after a failed one, or when stopped. */
  get value(): number | undefined {
    return this.last;
  }
}
