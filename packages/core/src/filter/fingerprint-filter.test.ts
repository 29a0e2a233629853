import { describe, expect, it } from 'vitest';
import {
  affixFingerprint,
  edgeFingerprint,
  FingerprintFilter,
  valueFingerprint,
} from './fingerprint-filter.js';

describe('fingerprints', () => {
  it('give an affix the same fingerprint filed alone as read inside a longer value', () => {
    const value = '/apps/shop/instances/42/orders';
    for (const length of [1, 3, 4, 5, 22, value.length]) {
      const prefix = value.slice(0, length);
      const suffix = value.slice(value.length - length);
      expect(affixFingerprint(value, length, false)).toBe(affixFingerprint(prefix, length, false));
      expect(affixFingerprint(value, length, true)).toBe(affixFingerprint(suffix, length, true));
      expect(edgeFingerprint(value, length, false)).toBe(edgeFingerprint(prefix, length, false));
      expect(edgeFingerprint(value, length, true)).toBe(edgeFingerprint(suffix, length, true));
    }
  });

  it('tell apart values that differ in length, at the end or in the middle', () => {
    const family = [
      'com.example.orders.created',
      'com.example.orders.created.v2',
      'com.example.users..created',
      '/apps/shop/instances/41',
      '/apps/shop/instances/42',
    ];
    expect(new Set(family.map(valueFingerprint)).size).toBe(family.length);
    // Differing only elsewhere, two values may share one: that only costs a lookup.
    expect(valueFingerprint('a.created.v1')).toBe(valueFingerprint('a.updated.v1'));
    // The length counts: the same characters at the edge, different lengths.
    expect(affixFingerprint('/a/', 3, false)).not.toBe(affixFingerprint('/ab/', 4, false));
  });

  it('stay small non-negative integers', () => {
    for (const v of ['', 'a', 'ü€😀', 'x'.repeat(1000)]) {
      const f = valueFingerprint(v);
      expect(Number.isInteger(f) && f >= 0 && f < 2 ** 30).toBe(true);
    }
  });
});

describe('FingerprintFilter', () => {
  it('says "maybe" for every fingerprint added, as it grows', () => {
    const filter = new FingerprintFilter();
    const added = Array.from({ length: 5_000 }, (_, i) => valueFingerprint(`/apps/shop/instances/${i}`));
    for (const f of added) filter.add(f);
    expect(added.every((f) => filter.mayHave(f))).toBe(true);
  });

  it('says "absent" for most fingerprints never added', () => {
    const filter = new FingerprintFilter();
    for (let i = 0; i < 1_000; i++) filter.add(valueFingerprint(`type-${i}`));
    let passed = 0;
    for (let i = 1_000; i < 11_000; i++) if (filter.mayHave(valueFingerprint(`type-${i}`))) passed++;
    // 16 bits per key: about 1 in 16 gets through; allow twice that.
    expect(passed).toBeLessThan(10_000 / 8);
  });

  it('keeps a fingerprint while any key has it, and clears removed ones when it rebuilds', () => {
    const filter = new FingerprintFilter();
    filter.add(7);
    filter.add(7);
    filter.remove(7);
    expect(filter.mayHave(7)).toBe(true);
    expect(filter.size).toBe(1);
    filter.add(9);
    filter.remove(7);
    filter.remove(9);
    // Two removals with nothing left: the bitset was rebuilt empty.
    expect(filter.size).toBe(0);
    expect(filter.mayHave(7)).toBe(false);
    expect(filter.mayHave(9)).toBe(false);
  });
});
