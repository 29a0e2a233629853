/**
 * Contiguous offset tracking for one partition: which records were handed out, which were acked,
 * and the offset that may be committed. A Kafka commit is cumulative ("everything below this was
 * processed"), so the committable offset only moves over a prefix of acked records; an un-acked
 * record holds back every record after it, however many of those were acked.
 *
 * Offsets need not be consecutive (compacted topics, transaction markers): the tracker only
 * relies on the order in which records were registered.
 */

/** One record handed out; `settled` once acked. */
export interface TrackedRecord {
  readonly offset: bigint;
  acked: boolean;
}

export class PartitionTracker {
  private readonly queue: TrackedRecord[] = [];
  private head = 0;
  private unacked = 0;
  /** The next offset to commit (the position after the acked prefix), once something was acked. */
  private position: bigint | undefined;
  private committedPosition: bigint | undefined;
  private last: bigint | undefined;

  /** Registers the next record of the partition; records must come in offset order. */
  register(offset: bigint): TrackedRecord {
    if (this.last !== undefined && offset <= this.last) {
      throw new RangeError(`offset ${offset} registered after ${this.last}: records must come in order`);
    }
    const record: TrackedRecord = { offset, acked: false };
    this.queue.push(record);
    this.last = offset;
    this.unacked += 1;
    return record;
  }

  /** True when `offset` was already registered (a re-fetch after a rejoin): skip it. */
  seen(offset: bigint): boolean {
    return this.last !== undefined && offset <= this.last;
  }

  /** Marks a record acked and advances the committable position over the acked prefix. */
  ack(record: TrackedRecord): void {
    if (record.acked) return;
    record.acked = true;
    this.unacked -= 1;
    let front = this.queue[this.head];
    while (front?.acked) {
      this.position = front.offset + 1n;
      this.head += 1;
      front = this.queue[this.head];
    }
    // Drop the consumed prefix now and then instead of shifting on every ack.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The last offset registered, if any. */
  get lastRegistered(): bigint | undefined {
    return this.last;
  }

  /** Records handed out and not acked yet (including those waiting for a redelivery). */
  get inFlight(): number {
    return this.unacked;
  }

  /** The offset to commit (next record to read), or undefined when nothing new may be committed. */
  pendingCommit(): bigint | undefined {
    if (this.position === undefined || this.position === this.committedPosition) return undefined;
    return this.position;
  }

  /** Records that `offset` (from pendingCommit) was committed. */
  committed(offset: bigint): void {
    if (this.committedPosition === undefined || offset > this.committedPosition) {
      this.committedPosition = offset;
    }
  }
}
