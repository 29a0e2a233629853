import { afterEach, describe, expect, it, vi } from 'vitest';
import { BacklogReader } from './backlog-reader.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('BacklogReader', () => {
  it('keeps the last reading, forgets it after a failed read and when stopped', async () => {
    vi.useFakeTimers();
    const readings: (number | Error)[] = [7, new Error('broker away'), 3];
    const reader = new BacklogReader(async () => {
      const next = readings.shift();
      if (next instanceof Error) throw next;
      return next;
    }, 1000);
    reader.start();
    expect(reader.value).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reader.value).toBe(7);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reader.value).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reader.value).toBe(3);
    reader.stop();
    expect(reader.value).toBeUndefined();
  });
});
