import { describe, expect, it } from 'vitest';
import type { DeliverySpec } from '../delivery/index.js';
import type { AddressableSender, SendRequest, SendResponse } from '../delivery/sender.js';
import { InvalidEventError, OverloadedError } from '../errors.js';
import { makeEvent, type MeshEvent } from '../event/mesh-event.js';
import type { BrokerDefinition, TriggerDefinition } from './definitions.js';
import { Router } from './router.js';

/** A scripted sender: answers per URL; records what it was asked. (Logic test: no network.) */
class ScriptedSender implements AddressableSender {
  readonly sent: SendRequest[] = [];
  constructor(
    private readonly answer: (req: SendRequest, n: number) => SendResponse | Promise<SendResponse>,
  ) {}
  async send(req: SendRequest): Promise<SendResponse> {
    this.sent.push(req);
    return this.answer(req, this.sent.filter((s) => s.url === req.url).length);
  }
  to(url: string): SendRequest[] {
    return this.sent.filter((s) => s.url === url);
  }
}

const ok: SendResponse = { status: 202, headers: {} };
const broker = (over: Partial<BrokerDefinition> = {}): BrokerDefinition => ({
  namespace: 'ns',
  name: 'default',
  channel: { kind: 'memory' },
  delivery: { retry: 2, backoffDelay: 'PT0.001S' },
  ...over,
});
const trigger = (name: string, over: Partial<TriggerDefinition> = {}): TriggerDefinition => ({
  namespace: 'ns',
  name,
  broker: 'default',
  filter: {},
  subscriberUrl: `http://sub/${name}`,
  ...over,
});
const ev = (type: string, id = type): MeshEvent =>
  makeEvent({ specversion: '1.0', id, source: '/test', type }, '{}');

describe('Router', () => {
  it('delivers to the matching Triggers only, with Kn-Namespace, arrival time and no TTL', async () => {
    const sender = new ScriptedSender(() => ok);
    const router = new Router({ sender });
    await router.reconcile({
      brokers: [broker()],
      triggers: [
        trigger('orders', { filter: { filters: [{ prefix: { type: 'order.' } }] } }),
        trigger('all'),
        trigger('users', { filter: { filter: { attributes: { type: 'user.created' } } } }),
      ],
    });
    await router.ingest('ns', 'default', [ev('order.created')]);
    await expect.poll(() => sender.sent.length).toBe(2);
    expect(sender.to('http://sub/orders')).toHaveLength(1);
    expect(sender.to('http://sub/all')).toHaveLength(1);
    expect(sender.to('http://sub/users')).toHaveLength(0);
    const req = sender.to('http://sub/orders')[0] as SendRequest;
    expect(req.headers?.['kn-namespace']).toBe('ns');
    expect(req.event.attributes.knativearrivaltime).toMatch(/^\d{4}-/);
    expect(req.event.attributes.knativebrokerttl).toBeUndefined();
    await router.close();
  });

  it('retries, then dead-letters with the knativeerror extensions', async () => {
    const sender = new ScriptedSender((req) =>
      req.url === 'http://dls/' ? ok : { status: 503, headers: {}, body: Buffer.from('down') },
    );
    const delivery: DeliverySpec = {
      retry: 2,
      backoffDelay: 'PT0.001S',
      deadLetterSink: { uri: 'http://dls/' },
    };
    const router = new Router({ sender });
    await router.reconcile({ brokers: [broker({ delivery })], triggers: [trigger('t')] });
    await router.ingest('ns', 'default', [ev('x')]);
    await expect.poll(() => sender.to('http://dls/').length).toBe(1);
    expect(sender.to('http://sub/t')).toHaveLength(3);
    const dead = (sender.to('http://dls/')[0] as SendRequest).event;
    expect(dead.attributes.knativeerrordest).toBe('http://sub/t');
    expect(String(dead.attributes.knativeerrorcode)).toBe('503');
    expect(Buffer.from(String(dead.attributes.knativeerrordata), 'base64').toString()).toBe('down');
    const t = router.listTriggers()[0];
    await expect.poll(() => t?.counters.deadLettered).toBe(1);
    expect(t?.counters.retried).toBe(2);
    await router.close();
  });

  it('puts a reply back into the Broker, where another Trigger gets it', async () => {
    const reply = makeEvent({ specversion: '1.0', id: 'r1', source: '/sub', type: 'reply' });
    const sender = new ScriptedSender((req) =>
      req.url === 'http://sub/asks' ? { status: 200, headers: {}, reply } : ok,
    );
    const router = new Router({ sender });
    await router.reconcile({
      brokers: [broker()],
      triggers: [
        trigger('asks', { filter: { filter: { attributes: { type: 'question' } } } }),
        trigger('replies', { filter: { filter: { attributes: { type: 'reply' } } } }),
      ],
    });
    await router.ingest('ns', 'default', [ev('question')]);
    await expect.poll(() => sender.to('http://sub/replies').length).toBe(1);
    await router.close();
  });

  it('refuses an event whose knativebrokerttl is used up', async () => {
    const router = new Router({ sender: new ScriptedSender(() => ok) });
    await router.reconcile({ brokers: [broker()], triggers: [] });
    const looped = makeEvent({ specversion: '1.0', id: '1', source: '/t', type: 'x', knativebrokerttl: '0' });
    await expect(router.ingest('ns', 'default', [looped])).rejects.toBeInstanceOf(InvalidEventError);
    await router.close();
  });

  it('answers OverloadedError when the broker buffer is full, without blocking', async () => {
    const never = new Promise<SendResponse>(() => {});
    const router = new Router({ sender: new ScriptedSender(() => never) });
    await router.reconcile({
      brokers: [broker({ bufferSize: 3 })],
      triggers: [trigger('t', { maxInFlight: 1 })],
    });
    for (let i = 0; i < 3; i++) await router.ingest('ns', 'default', [ev('x', String(i))]);
    await expect(router.ingest('ns', 'default', [ev('x', 'full')])).rejects.toBeInstanceOf(OverloadedError);
    await router.close();
  });

  it('keeps unchanged Triggers running (and their queues) across a reconcile', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sender = new ScriptedSender(async (req) => {
      if (req.url === 'http://sub/slow') await gate;
      return ok;
    });
    const router = new Router({ sender });
    await router.reconcile({ brokers: [broker()], triggers: [trigger('slow', { maxInFlight: 1 })] });
    for (let i = 0; i < 5; i++) await router.ingest('ns', 'default', [ev('x', String(i))]);
    const before = router.listTriggers()[0];
    const result = await router.reconcile({
      brokers: [broker()],
      triggers: [trigger('slow', { maxInFlight: 1 }), trigger('new')],
    });
    expect(result.triggers.unchanged).toEqual(['ns/slow']);
    expect(result.triggers.added).toEqual(['ns/new']);
    expect(router.listTriggers()[0]).toBe(before);
    release?.();
    await expect.poll(() => sender.to('http://sub/slow').length).toBe(5);
    await router.close();
  });

  it('refuses a Trigger that names an unknown Broker and changes nothing', async () => {
    const router = new Router({ sender: new ScriptedSender(() => ok) });
    await router.reconcile({ brokers: [broker()], triggers: [trigger('a')] });
    await expect(
      router.reconcile({ brokers: [broker()], triggers: [trigger('b', { broker: 'nope' })] }),
    ).rejects.toThrow(/unknown broker/);
    expect(router.listTriggers().map((t) => t.key)).toEqual(['ns/a']);
    await router.close();
  });
});
