import { describe, expect, it } from 'vitest';
import type { AddressableSender, SendBatchRequest, SendRequest, SendResponse } from '../delivery/sender.js';
import { makeEvent } from '../event/index.js';
import { BatchingSender } from './batching-sender.js';

/** Records each request; answers when the test says so. */
class HeldSender implements AddressableSender {
  readonly calls: {
    kind: 'one' | 'batch';
    ids: string[];
    timeoutMs?: number;
    answer(r: SendResponse | Error): void;
  }[] = [];
  send(request: SendRequest): Promise<SendResponse> {
    return this.hold('one', [String(request.event.attributes.id)], request.timeoutMs);
  }
  sendBatch(request: SendBatchRequest): Promise<SendResponse> {
    return this.hold(
      'batch',
      request.events.map((e) => String(e.attributes.id)),
      request.timeoutMs,
    );
  }
  private hold(kind: 'one' | 'batch', ids: string[], timeoutMs?: number): Promise<SendResponse> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        kind,
        ids,
        ...(timeoutMs !== undefined && { timeoutMs }),
        answer: (r) => (r instanceof Error ? reject(r) : resolve(r)),
      });
    });
  }
}

const request = (id: string, url = 'http://peer/ns/b', extra: Partial<SendRequest> = {}): SendRequest => ({
  url,
  event: makeEvent({ specversion: '1.0', id, source: '/s', type: 't' }, 'data'),
  headers: { authorization: 'Bearer x' },
  ...extra,
});
const ok: SendResponse = { status: 202, headers: {} };
const tick = () => new Promise((r) => setImmediate(r));

describe('BatchingSender', () => {
  it('sends alone while the link keeps up, and batches what waits once maxInFlight are out', async () => {
    const inner = new HeldSender();
    const sender = new BatchingSender(inner, { maxInFlight: 2, maxBatch: 3 });
    const results = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) =>
      sender.send(request(id, undefined, { timeoutMs: 500 })),
    );
    expect(inner.calls.map((c) => [c.kind, c.ids])).toEqual([
      ['one', ['a']],
      ['one', ['b']],
    ]);
    inner.calls[0]?.answer(ok);
    await tick();
    // The free slot takes up to 3 of the 4 waiting, in order.
    expect(inner.calls[2]).toMatchObject({ kind: 'batch', ids: ['c', 'd', 'e'], timeoutMs: 500 });
    inner.calls[1]?.answer(ok);
    await tick();
    expect(inner.calls[3]).toMatchObject({ kind: 'one', ids: ['f'] });
    inner.calls[2]?.answer({ status: 503, headers: { 'retry-after': '1' } });
    inner.calls[3]?.answer(ok);
    const answers = await Promise.all(results);
    expect(answers.map((r) => r.status)).toEqual([202, 202, 503, 503, 503, 202]);
  });

  it('gives every event of a failed batch the error, and keeps links (URL, headers) apart', async () => {
    const inner = new HeldSender();
    const sender = new BatchingSender(inner, { maxInFlight: 1 });
    const first = sender.send(request('a'));
    const other = sender.send(request('x', 'http://other/ns/b'));
    const waiting = [sender.send(request('b')), sender.send(request('c'))];
    expect(inner.calls.map((c) => c.ids)).toEqual([['a'], ['x']]);
    inner.calls[0]?.answer(ok);
    await first;
    await tick();
    expect(inner.calls[2]?.ids).toEqual(['b', 'c']);
    inner.calls[2]?.answer(new Error('connection reset'));
    for (const w of waiting) await expect(w).rejects.toThrow('connection reset');
    inner.calls[1]?.answer(ok);
    await other;
  });

  it('drops a waiting event whose caller gave up, and bounds a batch by bytes', async () => {
    const inner = new HeldSender();
    const sender = new BatchingSender(inner, { maxInFlight: 1, maxBatchBytes: 100 });
    const first = sender.send(request('a'));
    const abort = new AbortController();
    const gaveUp = sender.send(request('b', undefined, { signal: abort.signal }));
    const rest = ['c', 'd', 'e'].map((id) => sender.send(request(id)));
    abort.abort(new Error('stopping'));
    inner.calls[0]?.answer(ok);
    await first;
    await expect(gaveUp).rejects.toThrow('stopping');
    await tick();
    // About 50 bytes each: two fit in 100.
    expect(inner.calls.slice(1).map((c) => c.ids)).toEqual([['c', 'd']]);
    inner.calls[1]?.answer(ok);
    await tick();
    inner.calls[2]?.answer(ok);
    await Promise.all(rest);
  });

  it('passes through to a sender without batches', async () => {
    const sent: string[] = [];
    const sender = new BatchingSender({
      send: async (r) => {
        sent.push(String(r.event.attributes.id));
        return ok;
      },
    });
    await Promise.all([sender.send(request('a')), sender.send(request('b'))]);
    expect(sent).toEqual(['a', 'b']);
  });
});
