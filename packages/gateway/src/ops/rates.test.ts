import { describe, expect, it } from 'vitest';
import { RateTracker } from './rates.js';

describe('RateTracker', () => {
  it('gives rates per second over the window, 0 without history or after a reset', () => {
    let now = 0;
    const r = new RateTracker(5000, () => now);
    expect(r.observe(new Map([['a', 10]])).get('a')).toBe(0);
    now = 1000;
    expect(r.observe(new Map([['a', 30]])).get('a')).toBe(20);
    now = 2000;
    expect(r.observe(new Map([['a', 40]])).get('a')).toBe(15);
    // Counter went down (a reload rebuilt the Trigger): no negative rate.
    now = 3000;
    expect(r.observe(new Map([['a', 1]])).get('a')).toBe(0);
  });

  it('forgets samples older than the window', () => {
    let now = 0;
    const r = new RateTracker(2000, () => now);
    r.observe(new Map([['a', 0]]));
    now = 1000;
    r.observe(new Map([['a', 1000]]));
    now = 10_000;
    r.observe(new Map([['a', 1000]]));
    now = 11_000;
    // Only the sample at 10 s is within 2 s: nothing arrived since.
    expect(r.observe(new Map([['a', 1000]])).get('a')).toBe(0);
  });
});
