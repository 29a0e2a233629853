/**
 * What a KafkaSource keeps for one assigned partition: its offset tracker, whether it was revoked
 * or paused, and the waiters blocked on its window.
 */
import { PartitionTracker } from './offset-tracker.js';

/** State of one assigned partition. */
export class PartitionState {
  readonly tracker = new PartitionTracker();
  revoked = false;
  paused = false;
  /** Deliveries handed to the handler and not settled yet (a nacked one waiting is not out). */
  out = 0;
  highWatermark = -1n;
  private waiters: Array<() => void> = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Resolves when a slot may have freed up, or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
