import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { makeEvent } from '../event/mesh-event.js';
import { DEFAULT_DEDUP_MAX_ENTRIES, DEFAULT_DEDUP_WINDOW_MS, DedupWindow } from './dedup-window.js';

const ev = (id: string, source = '/s') => makeEvent({ specversion: '1.0', id, source, type: 't' });

describe('DedupWindow', () => {
  it('accepts an event once and drops its repeats, keyed by (source, id)', () => {
    const w = new DedupWindow();
    expect(w.seen(ev('1'))).toBe(false);
    expect(w.seen(ev('1'))).toBe(true);
    expect(w.seen(ev('1', '/other'))).toBe(false);
    expect(w.seen(ev('2'))).toBe(false);
    expect(w.counters).toMatchObject({ accepted: 3, duplicates: 1 });
    expect(w.size).toBe(3);
    expect(w.windowMs).toBe(DEFAULT_DEDUP_WINDOW_MS);
    expect(w.maxEntries).toBe(DEFAULT_DEDUP_MAX_ENTRIES);
  });

  it('does not confuse keys whose parts run into each other, and keeps scopes apart', () => {
    const w = new DedupWindow();
    expect(w.seen(ev('b', '/a'))).toBe(false);
    expect(w.seen(ev('', '/ab'))).toBe(false);
    expect(w.seen(ev('1'), 'ns/one')).toBe(false);
    expect(w.seen(ev('1'), 'ns/two')).toBe(false);
    expect(w.seen(ev('1'), 'ns/one')).toBe(true);
    expect(w.has(ev('1'))).toBe(false);
    expect(w.forget(ev('1'), 'ns/two')).toBe(true);
  });

  it('forgets keys older than the window', () => {
    let now = 1_000;
    const w = new DedupWindow({ windowMs: 100, now: () => now });
    w.seen(ev('1'));
    now += 50;
    w.seen(ev('2'));
    now += 49;
    expect(w.has(ev('1'))).toBe(true);
    now += 1; // 1 is exactly windowMs old: expired
    expect(w.has(ev('1'))).toBe(false);
    expect(w.has(ev('2'))).toBe(true);
    expect(w.seen(ev('1'))).toBe(false);
    expect(w.counters.expired).toBe(1);
  });

  it('stays within maxEntries, evicting the oldest first', () => {
    const w = new DedupWindow({ maxEntries: 100 });
    for (let i = 0; i < 1_000; i++) w.seen(ev(String(i)));
    expect(w.size).toBe(100);
    expect(w.counters.evicted).toBe(900);
    expect(w.has(ev('899'))).toBe(false);
    expect(w.has(ev('900'))).toBe(true);
    expect(w.seen(ev('999'))).toBe(true);
    expect(w.seen(ev('0'))).toBe(false);
  });

  it('forgets a key on request, so that a retry after a failed ingest is accepted', () => {
    const w = new DedupWindow();
    w.seen(ev('1'));
    expect(w.forget(ev('1'))).toBe(true);
    expect(w.forget(ev('1'))).toBe(false);
    expect(w.seen(ev('1'))).toBe(false);
  });

  it('refuses limits that are not positive', () => {
    expect(() => new DedupWindow({ windowMs: 0 })).toThrow(ConfigError);
    expect(() => new DedupWindow({ maxEntries: Number.NaN })).toThrow(/maxEntries/);
  });
});

describe('DedupWindow bookkeeping', () => {
  it('expires and evicts correctly after keys were forgotten and accepted again', () => {
    let now = 0;
    const w = new DedupWindow({ windowMs: 1_000, maxEntries: 3, now: () => now });
    w.seen(ev('a'));
    now = 10;
    w.forget(ev('a'));
    w.seen(ev('a')); // accepted again at 10: the entry from 0 is stale
    now = 20;
    w.seen(ev('b'));
    w.seen(ev('c'));
    expect(w.size).toBe(3);
    now = 1_005; // past 0 + window, not past 10 + window
    expect(w.has(ev('a'))).toBe(true);
    now = 1_010;
    expect(w.has(ev('a'))).toBe(false);
    expect(w.has(ev('b'))).toBe(true);
    w.seen(ev('d'));
    w.seen(ev('e'));
    expect(w.size).toBe(3);
    expect(w.has(ev('b'))).toBe(false);
    expect(w.counters).toMatchObject({ expired: 1, evicted: 1 });
  });

  it('keeps its bookkeeping bounded over many windows', () => {
    let now = 0;
    const w = new DedupWindow({ windowMs: 100, maxEntries: 50, now: () => now });
    let fresh = 0;
    let repeats = 0;
    for (let i = 0; i < 5_000; i++) {
      now = i;
      if (!w.seen(ev(String(i)))) fresh++;
      if (i % 3 === 0 && i > 0 && w.seen(ev(String(i - 1)))) repeats++;
    }
    expect(fresh).toBe(5_000);
    expect(repeats).toBe(1_666);
    expect(w.size).toBe(50);
    expect(w.counters).toMatchObject({ accepted: 5_000, duplicates: 1_666 });
  });
});
