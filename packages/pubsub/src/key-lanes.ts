/**
 * Per-key lanes for ordered delivery: one delivery per ordering key is out at a time, the next
 * one of that key waits until the previous one is settled. Keys do not wait for each other.
 */
export class KeyLanes<T> {
  private readonly lanes = new Map<string, T[]>();

  /**
   * Offers an item. Returns true when its lane was idle (the caller hands it out now); false
   * when it was queued behind an outstanding item of the same key.
   */
  offer(key: string, item: T): boolean {
    const lane = this.lanes.get(key);
    if (lane === undefined) {
      this.lanes.set(key, []);
      return true;
    }
    lane.push(item);
    return false;
  }

  /** The outstanding item of `key` was acked: the next one to hand out, if any. */
  next(key: string): T | undefined {
    const lane = this.lanes.get(key);
    if (lane === undefined) return undefined;
    const item = lane.shift();
    if (item === undefined) this.lanes.delete(key);
    return item;
  }

  /** Removes the lane of `key` and returns what was queued in it (the lane is idle afterwards). */
  drain(key: string): T[] {
    const lane = this.lanes.get(key) ?? [];
    this.lanes.delete(key);
    return lane;
  }

  /** Removes every lane and returns everything that was queued. */
  drainAll(): T[] {
    const all = [...this.lanes.values()].flat();
    this.lanes.clear();
    return all;
  }

  /** Items waiting behind an outstanding one. */
  get queued(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.length;
    return n;
  }
}
