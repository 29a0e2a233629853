import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionTracker } from './offset-tracker.js';

describe('PartitionTracker', () => {
  it('commits only over the acked prefix', () => {
    const t = new PartitionTracker();
    const [a, b, c] = [t.register(10n), t.register(11n), t.register(12n)];
    expect(t.inFlight).toBe(3);
    t.ack(c);
    expect(t.pendingCommit()).toBeUndefined();
    t.ack(a);
    expect(t.pendingCommit()).toBe(11n);
    t.committed(11n);
    expect(t.pendingCommit()).toBeUndefined();
    t.ack(b);
    expect(t.pendingCommit()).toBe(13n);
    expect(t.inFlight).toBe(0);
  });

  it('handles gaps in offsets (compaction) by registration order', () => {
    const t = new PartitionTracker();
    const a = t.register(3n);
    const b = t.register(9n);
    t.ack(b);
    expect(t.pendingCommit()).toBeUndefined();
    t.ack(a);
    expect(t.pendingCommit()).toBe(10n);
  });

  it('knows which offsets it has seen and refuses out-of-order registration', () => {
    const t = new PartitionTracker();
    t.register(5n);
    expect(t.seen(4n)).toBe(true);
    expect(t.seen(5n)).toBe(true);
    expect(t.seen(6n)).toBe(false);
    expect(() => t.register(5n)).toThrow(RangeError);
  });

  it('never commits past an un-acked record, whatever the ack order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.array(fc.nat(), { maxLength: 80 }), (count, picks) => {
        const t = new PartitionTracker();
        const records = Array.from({ length: count }, (_, i) => t.register(BigInt(i * 2)));
        const acked = new Set<number>();
        for (const p of picks) {
          const i = p % count;
          t.ack(records[i]!);
          acked.add(i);
          const commit = t.pendingCommit();
          if (commit !== undefined) {
            t.committed(commit);
            // Every record below the commit position was acked.
            for (let j = 0; j < count && BigInt(j * 2) < commit; j++) expect(acked.has(j)).toBe(true);
            // The first un-acked record is at or above it.
            const firstUnacked = records.findIndex((_, j) => !acked.has(j));
            if (firstUnacked >= 0) expect(BigInt(firstUnacked * 2)).toBeGreaterThanOrEqual(commit);
          }
        }
        expect(t.inFlight).toBe(count - acked.size);
      }),
    );
  });
});
