import {
  type AddressableSender,
  type ComponentStatus,
  type Delivery,
  type DeliveryHandler,
  makeEvent,
  resolveDeliveryPolicy,
  type SendRequest,
  type SendResponse,
  type Source,
  silentLogger,
} from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { SourceRuntime } from './source-runtime.js';

/** A source that hands out the deliveries a test pushes and records how each was settled. */
class FakeSource implements Source {
  readonly name = 'fake';
  handler: DeliveryHandler | undefined;
  stopped = false;
  /** Like the real sources: stop waits (up to its own grace) for what is in flight. */
  inFlight: Promise<unknown>[] = [];
  async start(handler: DeliveryHandler): Promise<void> {
    this.handler = handler;
  }
  async stop(): Promise<void> {
    await Promise.race([Promise.all(this.inFlight), new Promise((r) => setTimeout(r, 1000))]);
    this.stopped = true;
  }
  status(): ComponentStatus {
    return { state: 'ready' };
  }
  push(id: string): Promise<{ settled: 'ack' | 'nack'; delayMs?: number }> {
    const settled = new Promise<{ settled: 'ack' | 'nack'; delayMs?: number }>((resolve) => {
      const delivery: Delivery = {
        event: makeEvent({ specversion: '1.0', id, source: '/t', type: 't' }, 'x'),
        origin: `fake@${id}`,
        redeliveries: 0,
        ack: () => resolve({ settled: 'ack' }),
        nack: (_err, delayMs) => resolve({ settled: 'nack', ...(delayMs !== undefined && { delayMs }) }),
      };
      this.handler?.(delivery);
    });
    this.inFlight.push(settled);
    return settled;
  }
}

/** Answers each URL with a fixed status and records the requests. */
function sender(statuses: Record<string, number>): AddressableSender & { requests: SendRequest[] } {
  const requests: SendRequest[] = [];
  return {
    requests,
    async send(req: SendRequest): Promise<SendResponse> {
      requests.push(req);
      return { status: statuses[req.url] ?? 404, headers: {} };
    },
  };
}

async function runtimeWith(
  statuses: Record<string, number>,
  delivery: Parameters<typeof resolveDeliveryPolicy>[0],
) {
  const source = new FakeSource();
  const s = sender(statuses);
  const runtime = new SourceRuntime({
    key: 'FakeSource shop/s',
    kind: 'FakeSource',
    namespace: 'shop',
    source,
    sinkUrl: 'http://sink/',
    policy: resolveDeliveryPolicy(delivery),
    extensions: { origincluster: 'eu' },
    sender: s,
    logger: silentLogger,
    fingerprint: 'f',
  });
  await runtime.start();
  return { source, sender: s, runtime };
}

const fast = { retry: 1, backoffPolicy: 'linear' as const, backoffDelay: 'PT0.001S' };

describe('SourceRuntime settles every delivery by the at-least-once rule', () => {
  it('acks a delivered event, with the ceOverrides extensions and kn-namespace set', async () => {
    const { source, sender: s, runtime } = await runtimeWith({ 'http://sink/': 202 }, fast);
    expect(await source.push('a')).toEqual({ settled: 'ack' });
    expect(s.requests[0]?.event.attributes.origincluster).toBe('eu');
    expect(s.requests[0]?.headers?.['kn-namespace']).toBe('shop');
    await new Promise((r) => setImmediate(r)); // inFlight drops once the delivery's promise ends
    expect(runtime.info().counters).toMatchObject({ received: 1, delivered: 1, failed: 0, inFlight: 0 });
  });

  it('acks a dead-lettered event', async () => {
    const { source, runtime } = await runtimeWith(
      { 'http://sink/': 503, 'http://dls/': 202 },
      { ...fast, deadLetterSink: { uri: 'http://dls/' } },
    );
    expect(await source.push('a')).toEqual({ settled: 'ack' });
    expect(runtime.info().counters.deadLettered).toBe(1);
  });

  it('nacks when the dead-letter sink fails too: the source keeps its place', async () => {
    const { source, runtime } = await runtimeWith(
      { 'http://sink/': 503, 'http://dls/': 500 },
      { ...fast, deadLetterSink: { uri: 'http://dls/' } },
    );
    const r = await source.push('a');
    expect(r.settled).toBe('nack');
    expect(r.delayMs).toBeGreaterThan(0);
    expect(runtime.info().counters.failed).toBe(1);
    expect(runtime.info().lastError).toBeDefined();
  });

  it('nacks a retriable failure without a dead-letter sink (nothing dropped while the sink is down)', async () => {
    const { source, runtime } = await runtimeWith({ 'http://sink/': 503 }, fast);
    expect((await source.push('a')).settled).toBe('nack');
    expect(runtime.info().counters).toMatchObject({ failed: 1, dropped: 0 });
  });

  it('acks and counts as dropped an event the sink refuses for good, without a dead-letter sink', async () => {
    const { source, sender: s, runtime } = await runtimeWith({ 'http://sink/': 400 }, fast);
    expect(await source.push('a')).toEqual({ settled: 'ack' });
    expect(s.requests).toHaveLength(1); // a 400 is not retried
    expect(runtime.info().counters).toMatchObject({ dropped: 1, failed: 0 });
  });

  it('stop lets an in-flight delivery finish within the grace, and nacks one that does not', async () => {
    const source = new FakeSource();
    const answers: ((r: SendResponse) => void)[] = [];
    const runtime = new SourceRuntime({
      key: 'k',
      kind: 'FakeSource',
      namespace: 'shop',
      source,
      sinkUrl: 'http://sink/',
      policy: resolveDeliveryPolicy(fast),
      // Like the HTTP sender: an abort ends the request.
      sender: {
        send: (req) =>
          new Promise<SendResponse>((resolve, reject) => {
            answers.push(resolve);
            req.signal?.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      },
      logger: silentLogger,
      fingerprint: 'f',
    });
    await runtime.start();
    const quick = source.push('quick');
    const stuck = source.push('stuck');
    const stopping = runtime.stop(50);
    answers[0]?.({ status: 202, headers: {} }); // answered within the grace
    expect(await quick).toEqual({ settled: 'ack' });
    expect((await stuck).settled).toBe('nack'); // abandoned after the grace
    await stopping;
    expect(source.stopped).toBe(true);
  });
});
