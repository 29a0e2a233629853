import { makeEvent } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { DeadLetterLog } from './dead-letters.js';

const ev = (id: string, data?: string) =>
  makeEvent({ specversion: '1.0', id, source: '/s', type: 't' }, data);

describe('DeadLetterLog', () => {
  it('keeps the last N per Trigger, newest first, and counts all', () => {
    const log = new DeadLetterLog(3);
    for (let i = 1; i <= 5; i++) log.observer.deadLettered?.('ns/a', ev(`a${i}`), `err ${i}`);
    log.observer.deadLettered?.('ns/b', ev('b1'), 'boom');
    expect(log.list('ns/a').map((e) => e.event.attributes.id)).toEqual(['a5', 'a4', 'a3']);
    expect(log.list('ns/a')[0]?.error).toBe('err 5');
    expect(log.total('ns/a')).toBe(5);
    expect(log.list('ns/b').map((e) => e.event.attributes.id)).toEqual(['b1']);
    expect(log.list('ns/none')).toEqual([]);
    expect(log.list()).toHaveLength(4);
  });

  it('lists all Triggers newest first', () => {
    const log = new DeadLetterLog();
    log.record('ns/a', ev('old'), 'e', new Date('2026-01-01T00:00:00Z'));
    log.record('ns/b', ev('new'), 'e', new Date('2026-01-02T00:00:00Z'));
    expect(log.list().map((e) => e.event.attributes.id)).toEqual(['new', 'old']);
  });

  it('shows data only when asked, as text or base64', () => {
    const log = new DeadLetterLog();
    log.record('ns/a', ev('text', '{"a":1}'), 'e');
    log.record(
      'ns/a',
      makeEvent({ specversion: '1.0', id: 'bin', source: '/s', type: 't' }, Buffer.from([0xff, 0xfe])),
      'e',
    );
    const [bin, text] = log.toJson('ns/a', true);
    expect(text?.event).toMatchObject({ data: '{"a":1}', dataSize: 7 });
    expect(bin?.event).toMatchObject({ dataBase64: '//4=', dataSize: 2 });
    expect(log.toJson('ns/a', false)[1]?.event.data).toBeUndefined();
  });
});
