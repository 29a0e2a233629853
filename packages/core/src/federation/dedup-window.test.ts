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
