import { describe, expect, it } from 'vitest';
import { MeshgateError } from '../errors.js';
import { makeEvent, type MeshEvent } from '../event/mesh-event.js';
import { type DeliveryClock, type DeliveryObserver, deliverWithRetries } from './deliver.js';
import type { DeliveryPolicy } from './policy.js';
import type { AddressableSender, SendRequest, SendResponse } from './sender.js';

const SUB = 'http://subscriber.test/hook';
const DLS = 'http://dls.test/';
const event = makeEvent({ specversion: '1.0', id: 'e1', source: '/src', type: 't' }, 'hello');

type Answer = Partial<SendResponse> | Error;

/** Answers each send with the next scripted answer for its URL (the last one repeats). */
class FakeSender implements AddressableSender {
  readonly requests: SendRequest[] = [];
  constructor(private readonly script: Record<string, Answer[]>) {}
  async send(request: SendRequest): Promise<SendResponse> {
    this.requests.push(request);
    const answers = this.script[request.url] ?? [new Error(`no script for ${request.url}`)];
    const sent = this.requests.filter((r) => r.url === request.url).length;
    const answer = answers[Math.min(sent, answers.length) - 1] as Answer;
    if (answer instanceof Error) throw answer;
    return { status: 200, headers: {}, ...answer };
  }
  to(url: string): SendRequest[] {
    return this.requests.filter((r) => r.url === url);
  }
}

/** A clock that never waits: sleeping moves time forward and records the wait. */
class FakeClock implements DeliveryClock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

const refused = () => new MeshgateError('NOT_CONNECTED', 'connect ECONNREFUSED', { retriable: true });
const timedOut = () => new MeshgateError('DELIVERY_FAILED', 'timed out after 1000 ms', { retriable: true });

function policy(p: Partial<DeliveryPolicy> = {}): DeliveryPolicy {
  return { retry: 3, backoffPolicy: 'exponential', backoffDelayMs: 100, ...p };
}

function recorder() {
  const log: string[] = [];
  const observer: DeliveryObserver = {
    attempt: (i) => log.push(`attempt ${i.attempt} ${i.status ?? i.error}`),
    retry: (i) => log.push(`retry ${i.attempt} after ${i.delayMs}`),
    deadLettered: (i) => log.push(`dead-lettered after ${i.attempts} to ${i.deadLetterUrl}`),
  };
  return { log, observer };
}

describe('deliverWithRetries', () => {
  it('retries a 503 and delivers on the next 200, waiting one backoff delay first', async () => {
    const sender = new FakeSender({ [SUB]: [{ status: 503 }, { status: 200 }] });
    const clock = new FakeClock();
    const { log, observer } = recorder();
    const out = await deliverWithRetries({ url: SUB, event, policy: policy(), observer }, sender, clock);
    expect(out).toEqual({ kind: 'delivered', attempts: 2, status: 200 });
    expect(clock.sleeps).toEqual([100]);
    expect(log).toEqual(['attempt 1 503', 'retry 1 after 100', 'attempt 2 200']);
  });

  it('passes url, event, timeout, headers, mode and signal to the sender on every attempt', async () => {
    const sender = new FakeSender({ [SUB]: [{ status: 500 }, { status: 202 }] });
    const signal = new AbortController().signal;
    await deliverWithRetries(
      {
        url: SUB,
        event,
        policy: policy({ timeoutMs: 1500 }),
        headers: { 'kn-namespace': 'ns' },
        mode: 'structured',
        signal,
      },
      sender,
      new FakeClock(),
    );
    expect(sender.requests).toHaveLength(2);
    for (const r of sender.requests) {
      expect(r).toEqual({
        url: SUB,
        event,
        timeoutMs: 1500,
        headers: { 'kn-namespace': 'ns' },
        mode: 'structured',
        signal,
      });
    }
  });

  it('sends in the mode the policy asks for unless the request names one', async () => {
    const sender = new FakeSender({ [SUB]: [{ status: 200 }] });
    await deliverWithRetries(
      { url: SUB, event, policy: policy({ mode: 'structured' }) },
      sender,
      new FakeClock(),
    );
    await deliverWithRetries(
      { url: SUB, event, policy: policy({ mode: 'structured' }), mode: 'binary' },
      sender,
      new FakeClock(),
    );
    await deliverWithRetries({ url: SUB, event, policy: policy() }, sender, new FakeClock());
    expect(sender.requests.map((r) => r.mode)).toEqual(['structured', 'binary', undefined]);
  });

  it('makes 1 + retry attempts with the exponential schedule, then fails without a dead-letter sink', async () => {
    const sender = new FakeSender({ [SUB]: [{ status: 500, body: Buffer.from('boom') }] });
    const clock = new FakeClock();
    const out = await deliverWithRetries({ url: SUB, event, policy: policy({ retry: 4 }) }, sender, clock);
    expect(out).toEqual({
      kind: 'failed',
      attempts: 5,
      status: 500,
      error: `delivery to ${SUB} failed: subscriber answered 500`,
      retriable: true,
    });
    expect(clock.sleeps).toEqual([100, 200, 400, 800]);
  });

  it('follows the linear schedule', async () => {
    const sender = new FakeSender({ [SUB]: [{ status: 404 }] });
    const clock = new FakeClock();
    await deliverWithRetries(
      { url: SUB, event, policy: policy({ retry: 4, backoffPolicy: 'linear' }) },
      sender,
      clock,
    );
    expect(clock.sleeps).toEqual([100, 200, 300, 400]);
  });

  it('makes exactly one attempt with retry 0', async () => {
    const sender = new FakeSender({ [SUB]: [{ status: 503 }] });
    const clock = new FakeClock();
    const out = await deliverWithRetries({ url: SUB, event, policy: policy({ retry: 0 }) }, sender, clock);
    expect(out).toMatchObject({ kind: 'failed', attempts: 1, status: 503 });
    expect(clock.sleeps).toEqual([]);
  });

  it.each([400, 401, 403, 413, 415, 422, 301])('never retries a %d', async (status) => {
    const sender = new FakeSender({ [SUB]: [{ status }, { status: 200 }] });
    const clock = new FakeClock();
    const out = await deliverWithRetries({ url: SUB, event, policy: policy() }, sender, clock);
    expect(out).toMatchObject({ kind: 'failed', attempts: 1, status, retriable: false });
    expect(clock.sleeps).toEqual([]);
  });

  it.each([404, 408, 409, 429, 500, 502, 504])('retries a %d', async (status) => {
    const sender = new FakeSender({ [SUB]: [{ status }, { status: 200 }] });
    const out = await deliverWithRetries({ url: SUB, event, policy: policy() }, sender, new FakeClock());
    expect(out).toMatchObject({ kind: 'delivered', attempts: 2 });
  });

  it('honours a 429 Retry-After, capped at retryAfterMax', async () => {
    const sender = new FakeSender({
      [SUB]: [
        { status: 429, headers: { 'retry-after': '2' } },
        { status: 429, headers: { 'retry-after': '3600' } },
        { status: 200 },
      ],
    });
    const clock = new FakeClock();
    const out = await deliverWithRetries(
      { url: SUB, event, policy: policy({ retryAfterMaxMs: 5000 }) },
      sender,
      clock,
    );
    expect(out).toMatchObject({ kind: 'delivered', attempts: 3 });
    expect(clock.sleeps).toEqual([2000, 5000]);
  });

  it('honours a Retry-After HTTP date against the clock', async () => {
    const clock = new FakeClock();
    clock.t = Date.parse('2026-11-23T10:00:00Z');
    const sender = new FakeSender({
      [SUB]: [{ status: 503, headers: { 'retry-after': 'Mon, 23 Nov 2026 10:00:04 GMT' } }, { status: 200 }],
    });
    await deliverWithRetries({ url: SUB, event, policy: policy({ retryAfterMaxMs: 60_000 }) }, sender, clock);
    expect(clock.sleeps).toEqual([4000]);
  });

  it('ignores Retry-After when retryAfterMax is not set, as Knative', async () => {
    const sender = new FakeSender({
      [SUB]: [{ status: 429, headers: { 'retry-after': '30' } }, { status: 200 }],
    });
    const clock = new FakeClock();
    await deliverWithRetries({ url: SUB, event, policy: policy() }, sender, clock);
    expect(clock.sleeps).toEqual([100]);
  });

  it('does not let a short Retry-After shorten the backoff', async () => {
    const sender = new FakeSender({
      [SUB]: [{ status: 429, headers: { 'retry-after': '0' } }, { status: 200 }],
    });
    const clock = new FakeClock();
    await deliverWithRetries({ url: SUB, event, policy: policy({ retryAfterMaxMs: 5000 }) }, sender, clock);
    expect(clock.sleeps).toEqual([100]);
  });

  it('retries timeouts and refused connections (retriable send errors)', async () => {
    const sender = new FakeSender({ [SUB]: [timedOut(), refused(), { status: 200 }] });
    const { log, observer } = recorder();
    const out = await deliverWithRetries(
      { url: SUB, event, policy: policy({ timeoutMs: 1000 }), observer },
      sender,
      new FakeClock(),
    );
    expect(out).toEqual({ kind: 'delivered', attempts: 3, status: 200 });
    expect(log.filter((l) => l.startsWith('attempt'))).toEqual([
      'attempt 1 timed out after 1000 ms',
      'attempt 2 connect ECONNREFUSED',
      'attempt 3 200',
    ]);
  });

  it('reports a timeout on every attempt as a retriable failure without status', async () => {
    const sender = new FakeSender({ [SUB]: [timedOut()] });
    const out = await deliverWithRetries(
      { url: SUB, event, policy: policy({ retry: 2 }) },
      sender,
      new FakeClock(),
    );
    expect(out).toEqual({
      kind: 'failed',
      attempts: 3,
      error: `delivery to ${SUB} failed: timed out after 1000 ms`,
      retriable: true,
    });
  });

  it('stops on a send error that is not retriable', async () => {
    const sender = new FakeSender({ [SUB]: [new Error('cannot encode event'), { status: 200 }] });
    const out = await deliverWithRetries({ url: SUB, event, policy: policy() }, sender, new FakeClock());
    expect(out).toMatchObject({
      kind: 'failed',
      attempts: 1,
      retriable: false,
      error: expect.stringContaining('cannot encode'),
    });
  });

  it('returns a reply event from a 200, but never from a 202', async () => {
    const reply: MeshEvent = makeEvent({ specversion: '1.0', id: 'r1', source: '/sub', type: 'reply' });
    const ok = await deliverWithRetries(
      { url: SUB, event, policy: policy() },
      new FakeSender({ [SUB]: [{ status: 200, reply }] }),
      new FakeClock(),
    );
    expect(ok).toEqual({ kind: 'delivered', attempts: 1, status: 200, reply });
    const accepted = await deliverWithRetries(
      { url: SUB, event, policy: policy() },
      new FakeSender({ [SUB]: [{ status: 202, reply }] }),
      new FakeClock(),
    );
    expect(accepted).toEqual({ kind: 'delivered', attempts: 1, status: 202 });
  });

  it('counts a 2xx with a non-CloudEvent body as a failed attempt (502, retried)', async () => {
    const sender = new FakeSender({
      [SUB]: [{ status: 200, replyError: 'not a CloudEvent' }, { status: 200 }],
    });
    const { log, observer } = recorder();
    const out = await deliverWithRetries(
      { url: SUB, event, policy: policy(), observer },
      sender,
      new FakeClock(),
    );
    expect(out).toEqual({ kind: 'delivered', attempts: 2, status: 200 });
    expect(log[0]).toBe('attempt 1 502');
  });

  describe('dead letter', () => {
    it('sends the event with the knativeerror extensions once retries are exhausted', async () => {
      const sender = new FakeSender({
        [SUB]: [{ status: 503, body: Buffer.from('down') }],
        [DLS]: [{ status: 202 }],
      });
      const { log, observer } = recorder();
      const out = await deliverWithRetries(
        {
          url: SUB,
          event,
          policy: policy({ retry: 2, deadLetterUrl: DLS, timeoutMs: 700 }),
          headers: { 'kn-namespace': 'ns' },
          observer,
        },
        sender,
        new FakeClock(),
      );
      expect(out).toEqual({
        kind: 'dead-lettered',
        attempts: 3,
        status: 503,
        error: `delivery to ${SUB} failed: subscriber answered 503`,
      });
      const [dl] = sender.to(DLS);
      expect(dl?.event.attributes).toEqual({
        ...event.attributes,
        knativeerrordest: SUB,
        knativeerrorcode: 503,
        knativeerrordata: Buffer.from('down').toString('base64'),
      });
      expect(dl?.event.data).toEqual(event.data);
      expect(dl?.headers).toEqual({ 'kn-namespace': 'ns' });
      expect(dl?.timeoutMs).toBe(700);
      expect(log.at(-1)).toBe(`dead-lettered after 3 to ${DLS}`);
      // The observer counts subscriber attempts only.
      expect(log.filter((l) => l.startsWith('attempt'))).toHaveLength(3);
    });

    it('dead-letters a 400 at once, without retrying', async () => {
      const sender = new FakeSender({
        [SUB]: [{ status: 400, body: Buffer.from('bad') }],
        [DLS]: [{ status: 200 }],
      });
      const out = await deliverWithRetries(
        { url: SUB, event, policy: policy({ deadLetterUrl: DLS }) },
        sender,
        new FakeClock(),
      );
      expect(out).toMatchObject({ kind: 'dead-lettered', attempts: 1, status: 400 });
      expect(sender.to(SUB)).toHaveLength(1);
    });

    it('reports a subscriber that never answered as 500 with the error as data', async () => {
      const sender = new FakeSender({ [SUB]: [refused()], [DLS]: [{ status: 202 }] });
      await deliverWithRetries(
        { url: SUB, event, policy: policy({ retry: 1, deadLetterUrl: DLS }) },
        sender,
        new FakeClock(),
      );
      const attrs = sender.to(DLS)[0]?.event.attributes ?? {};
      expect(attrs.knativeerrorcode).toBe(500);
      expect(Buffer.from(attrs.knativeerrordata as string, 'base64').toString()).toBe(
        'dispatch error: connect ECONNREFUSED',
      );
    });

    it('retries the dead-letter sink with the same policy', async () => {
      const sender = new FakeSender({
        [SUB]: [{ status: 500 }],
        [DLS]: [{ status: 503 }, refused(), { status: 202 }],
      });
      const clock = new FakeClock();
      const out = await deliverWithRetries(
        { url: SUB, event, policy: policy({ retry: 2, deadLetterUrl: DLS }) },
        sender,
        clock,
      );
      expect(out.kind).toBe('dead-lettered');
      expect(sender.to(DLS)).toHaveLength(3);
      expect(clock.sleeps).toEqual([100, 200, 100, 200]);
    });

    it('fails (so the caller nacks) when the dead-letter sink fails too', async () => {
      const sender = new FakeSender({ [SUB]: [{ status: 500 }], [DLS]: [{ status: 503 }] });
      const out = await deliverWithRetries(
        { url: SUB, event, policy: policy({ retry: 1, deadLetterUrl: DLS }) },
        sender,
        new FakeClock(),
      );
      expect(out).toEqual({
        kind: 'failed',
        attempts: 2,
        status: 500,
        error: `delivery to ${SUB} failed: subscriber answered 500; dead-letter sink failed too: delivery to ${DLS} failed: subscriber answered 503`,
        retriable: true,
      });
      expect(sender.to(DLS)).toHaveLength(2);
    });

    it('says whether the dead-letter failure is worth retrying', async () => {
      const sender = new FakeSender({ [SUB]: [{ status: 500 }], [DLS]: [{ status: 400 }] });
      const out = await deliverWithRetries(
        { url: SUB, event, policy: policy({ retry: 0, deadLetterUrl: DLS }) },
        sender,
        new FakeClock(),
      );
      expect(out).toMatchObject({ kind: 'failed', retriable: false });
    });
  });

  describe('abort', () => {
    it('stops waiting for a retry at once when the signal aborts', async () => {
      const controller = new AbortController();
      const sleeping: number[] = [];
      // A clock whose sleep ends only through the signal: a test that relied on time would hang.
      const clock: DeliveryClock = {
        now: () => 0,
        sleep: (ms, signal) =>
          new Promise((resolve) => {
            sleeping.push(ms);
            signal?.addEventListener('abort', () => resolve(), { once: true });
            setImmediate(() => controller.abort());
          }),
      };
      const sender = new FakeSender({ [SUB]: [{ status: 503 }, { status: 200 }], [DLS]: [{ status: 202 }] });
      const out = await deliverWithRetries(
        {
          url: SUB,
          event,
          policy: policy({ backoffDelayMs: 3_600_000, deadLetterUrl: DLS }),
          signal: controller.signal,
        },
        sender,
        clock,
      );
      expect(out).toEqual({
        kind: 'failed',
        attempts: 1,
        status: 503,
        error: 'delivery aborted',
        retriable: true,
      });
      expect(sleeping).toEqual([3_600_000]);
      expect(sender.requests).toHaveLength(1); // neither a retry nor the dead-letter sink
    });

    it('makes no attempt when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      const sender = new FakeSender({ [SUB]: [{ status: 200 }] });
      const out = await deliverWithRetries(
        { url: SUB, event, policy: policy(), signal: controller.signal },
        sender,
        new FakeClock(),
      );
      expect(out).toMatchObject({ kind: 'failed', attempts: 0, error: 'delivery aborted', retriable: true });
      expect(sender.requests).toHaveLength(0);
    });

    it('reports an attempt cut short by the abort as aborted, not as a failure to dead-letter', async () => {
      const controller = new AbortController();
      const sender: AddressableSender = {
        send: async () => {
          controller.abort();
          throw new MeshgateError('DELIVERY_FAILED', 'request aborted', { retriable: true });
        },
      };
      const out = await deliverWithRetries(
        { url: SUB, event, policy: policy({ deadLetterUrl: DLS }), signal: controller.signal },
        sender,
        new FakeClock(),
      );
      expect(out).toMatchObject({ kind: 'failed', attempts: 1, error: 'delivery aborted' });
    });

    it('the system clock wakes up on abort instead of waiting out the delay', async () => {
      const { systemDeliveryClock } = await import('./deliver.js');
      const controller = new AbortController();
      const slept = systemDeliveryClock.sleep(3_600_000, controller.signal);
      controller.abort();
      await expect(slept).resolves.toBeUndefined();
    });
  });

  it('survives an observer that throws', async () => {
    const sender = new FakeSender({ [SUB]: [{ status: 500 }, { status: 200 }] });
    const observer: DeliveryObserver = {
      attempt: () => {
        throw new Error('metrics broke');
      },
      retry: () => {
        throw new Error('metrics broke');
      },
    };
    const out = await deliverWithRetries(
      { url: SUB, event, policy: policy(), observer },
      sender,
      new FakeClock(),
    );
    expect(out).toMatchObject({ kind: 'delivered', attempts: 2 });
  });
});
