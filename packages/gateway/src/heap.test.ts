import { ConfigError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEAP_GROWTH_PERCENT,
  growthPercentFor,
  heapGrowthPercent,
  MIN_HEAP_HEADROOM_BYTES,
} from './heap.js';

describe('heapGrowthPercent', () => {
  it('defaults to 30%, takes an integer from the environment, 0 keeps V8 default', () => {
    expect(heapGrowthPercent({})).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(heapGrowthPercent({ MESHGATE_HEAP_GROWTH_PERCENT: '100' })).toBe(100);
    expect(heapGrowthPercent({ MESHGATE_HEAP_GROWTH_PERCENT: '0' })).toBe(0);
  });

  it('refuses anything else, naming the variable and the value', () => {
    for (const bad of ['-1', '1.5', 'lots', '5000']) {
      expect(() => heapGrowthPercent({ MESHGATE_HEAP_GROWTH_PERCENT: bad })).toThrow(ConfigError);
      expect(() => heapGrowthPercent({ MESHGATE_HEAP_GROWTH_PERCENT: bad })).toThrow(
        `MESHGATE_HEAP_GROWTH_PERCENT must be an integer from 0 (V8's default) to 1000, got "${bad}"`,
      );
    }
  });
});

describe('growthPercentFor', () => {
  const MB = 1024 * 1024;

  it('keeps the configured percentage when it already leaves the floor of room', () => {
    // 30% of 200 MB is 60 MB, more than the 32 MB floor.
    expect(growthPercentFor(200 * MB, 30)).toBe(30);
    expect(growthPercentFor(90 * MB, 50)).toBe(50);
  });

  it('raises it for a small live heap so that the room is at least the floor', () => {
    const p = growthPercentFor(28 * MB, 30);
    expect(p).toBe(Math.ceil((MIN_HEAP_HEADROOM_BYTES / (28 * MB)) * 100));
    expect((28 * MB * p) / 100).toBeGreaterThanOrEqual(MIN_HEAP_HEADROOM_BYTES);
    expect(growthPercentFor(64 * MB, 30, 32 * MB)).toBe(50);
  });

  it("never asks for more than V8's own largest factor, nor less than configured", () => {
    expect(growthPercentFor(1 * MB, 30)).toBe(300);
    expect(growthPercentFor(0, 30)).toBe(300);
    expect(growthPercentFor(1 * MB, 500)).toBe(500);
  });
});
