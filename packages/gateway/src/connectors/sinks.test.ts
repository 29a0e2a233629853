import {
  type ComponentStatus,
  InvalidEventError,
  makeEvent,
  MeshgateError,
  type Sink,
  silentLogger,
} from '@meshgate/core';
import { errorResponse } from '@meshgate/knative';
import { describe, expect, it } from 'vitest';
import { SinkAddressable, sinkFailure } from './sinks.js';

describe('sinkFailure', () => {
  it('answers 503 for what may succeed later, 400 for what cannot, and keeps the event faults', () => {
    const status = (err: unknown) => errorResponse(sinkFailure(err, 'shop/out')).status;
    expect(status(new MeshgateError('NOT_CONNECTED', 'broker away', { retriable: true }))).toBe(503);
    expect(status(new MeshgateError('INTERNAL', 'timeout', { retriable: true }))).toBe(503);
    expect(status(new Error('socket hang up'))).toBe(503);
    expect(status(new MeshgateError('NOT_FOUND', 'unknown topic'))).toBe(400);
    expect(status(new InvalidEventError('bad id'))).toBe(400);
    expect(status(new MeshgateError('PAYLOAD_TOO_LARGE', 'record too large'))).toBe(413);
    expect(sinkFailure(new Error('x'), 'shop/out').message).toContain('shop/out');
  });
});

class FakeSink implements Sink {
  readonly name = 'fake';
  sent: string[] = [];
  constructor(private readonly fail?: Error) {}
  async send(event: { attributes: Record<string, unknown> }): Promise<void> {
    if (this.fail) throw this.fail;
    this.sent.push(String(event.attributes.id));
  }
  async close(): Promise<void> {}
  status(): ComponentStatus {
    return { state: 'ready' };
  }
}

describe('SinkAddressable', () => {
  const event = (id: string) => makeEvent({ specversion: '1.0', id, source: '/t', type: 't' });

  it('resolves once every event was sent, and counts them', async () => {
    const sink = new FakeSink();
    const a = new SinkAddressable('shop/out', 'KafkaSink', sink, 1024, 'f', silentLogger);
    await a.accept([event('1'), event('2')]);
    expect(sink.sent).toEqual(['1', '2']);
    expect(a.counters).toEqual({ accepted: 2, failed: 0 });
  });

  it('rejects with the mapped error and remembers it', async () => {
    const a = new SinkAddressable(
      'shop/out',
      'KafkaSink',
      new FakeSink(new MeshgateError('NOT_CONNECTED', 'down', { retriable: true })),
      1024,
      'f',
      silentLogger,
    );
    await expect(a.accept([event('1')])).rejects.toMatchObject({ code: 'NOT_CONNECTED', retriable: true });
    expect(a.counters.failed).toBe(1);
    expect(a.lastError).toContain('down');
  });
});
