import { ConfigError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_GROWTH_PERCENT, heapGrowthPercent } from './heap.js';

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
