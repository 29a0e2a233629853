import { ConfigError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { KeyLanes } from './key-lanes.js';
import { checkResourceName, fullName, shortName, toResourceId } from './names.js';

describe('Pub/Sub resource names', () => {
  it('expands short names and keeps full ones', () => {
    expect(fullName('p', 'topics', 'orders')).toBe('projects/p/topics/orders');
    expect(fullName('p', 'topics', 'projects/q/topics/x')).toBe('projects/q/topics/x');
    expect(shortName('projects/q/topics/x')).toBe('x');
  });

  it('refuses invalid ids with a ConfigError naming the field', () => {
    expect(() => checkResourceName('topics', '1abc', 'spec.topic')).toThrow(ConfigError);
    expect(() => checkResourceName('topics', 'goog-x', 'spec.topic')).toThrow(/spec\.topic/);
    expect(() => checkResourceName('topics', 'projects/p/subscriptions/s', 'spec.topic')).toThrow(
      /full topics name/,
    );
    expect(() => checkResourceName('subscriptions', 'ok-name', 'spec.subscription')).not.toThrow();
  });

  it('derives valid, distinct ids from trigger names', () => {
    expect(toResourceId('default.broker/trigger 1')).toBe('default.broker-trigger-1');
    expect(toResourceId('9x')).toBe('m-9x');
    const a = toResourceId(`a${'x'.repeat(300)}1`);
    const b = toResourceId(`a${'x'.repeat(300)}2`);
    expect(a.length).toBeLessThanOrEqual(255);
    expect(a).not.toBe(b);
    expect(() => checkResourceName('subscriptions', a, 'x')).not.toThrow();
  });
});

describe('KeyLanes', () => {
  it('holds later items of a key until the earlier one is released', () => {
    const lanes = new KeyLanes<number>();
    expect(lanes.offer('a', 1)).toBe(true);
    expect(lanes.offer('a', 2)).toBe(false);
    expect(lanes.offer('b', 3)).toBe(true);
    expect(lanes.queued).toBe(1);
    expect(lanes.next('a')).toBe(2);
    expect(lanes.next('a')).toBeUndefined();
    expect(lanes.offer('a', 4)).toBe(true);
  });

  it('drains a key so that it starts afresh', () => {
    const lanes = new KeyLanes<number>();
    lanes.offer('a', 1);
    lanes.offer('a', 2);
    lanes.offer('a', 3);
    expect(lanes.drain('a')).toEqual([2, 3]);
    expect(lanes.offer('a', 5)).toBe(true);
    expect(lanes.drainAll()).toEqual([]);
  });
});
