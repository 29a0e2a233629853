/**
 * The connector conformance suite: the promises every connector (Kafka, RabbitMQ, NATS, Pub/Sub)
 * makes, checked against its real broker. A connector's integration test calls
 * `describeConnectorConformance('rabbitmq', factory)` once; the suite registers the cases.
 *
 * What it checks (see the contracts in packages/core/src/contracts.ts):
 * - binding round trip, binary and structured: attributes kept, non-JSON data byte-identical;
 * - a message that is not a CloudEvent is wrapped into one, not dropped;
 * - at-least-once: a nack is redelivered, un-acked events survive a Source stop and come back to
 *   a new instance, an ack releases the event for good;
 * - no more than `maxInFlight` deliveries are ever un-settled at once;
 * - ordered mode hands events out in publish order, also across a nack;
 * - a Channel gives every subscription every event, each with its own progress;
 * - a malformed structured message is wrapped or dead-lettered, as the connector documents, and
 *   the messages behind it still flow;
 * - a Sink writing to a destination that does not exist rejects with a MeshgateError naming it.
 *
 * No timing assertions: every wait is "until this happens, or fail after a generous timeout".
 */
import type {
  Channel,
  ChannelSubscription,
  Delivery,
  MeshEvent,
  Sink,
  Source,
  SubscriptionOptions,
} from '@meshgate/core';
import { MeshgateError, makeEvent } from '@meshgate/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from './services.js';

/** How a Sink encodes events: CloudEvents binary or structured content mode. */
export type ConformanceMode = 'binary' | 'structured';

/** What the connector does with a structured-mode message whose body is not a CloudEvent. */
export type MalformedHandling<D> =
  | { kind: 'wrapped' }
  | {
      kind: 'dead-lettered';
      /** Bodies of the messages dead-lettered so far for this destination. */
      deadLettered(dest: D): Promise<Uint8Array[]>;
    };

/** Builds the connector's parts for the suite. `D` is whatever names a destination (a queue, a stream...). */
export interface ConnectorFactory<D> {
  /** A Sink writing to `dest` in the given content mode. */
  makeSink(dest: D, options: { mode: ConformanceMode }): Sink;
  /**
   * A Source reading `dest`. Two Sources made for the same `dest` share progress (the second is
   * "the same source after a restart"). Use a short stop grace period: the suite stops sources
   * with deliveries still un-acked on purpose.
   */
  makeSource(dest: D, options: { maxInFlight: number; ordered?: boolean }): Source;
  /** A Channel over the connector's broker, for the Channel cases (omit when there is none). */
  makeChannel?(): Channel | Promise<Channel>;
  /**
   * Writes raw bytes to `dest` with the native client, as a foreign producer would. The header
   * `content-type`, when given, goes where the protocol keeps a content type (an AMQP property,
   * a Kafka/NATS header, a Pub/Sub attribute); the other headers as native headers.
   */
  publishRaw(dest: D, bytes: Uint8Array, headers?: Record<string, string>): Promise<void>;
  /** A fresh, empty destination that Sinks can write to and Sources read from. */
  createDestination(): Promise<D>;
  /** A destination that does not exist (and that the Sink must not create). */
  missingDestination(): D;
  /** The name an error about `dest` should mention. Default `String(dest)`. */
  nameOf?(dest: D): string;
  /** What happens to a malformed structured message. */
  malformed: MalformedHandling<D>;
  /** Content modes the Sink supports; default both. */
  modes?: readonly ConformanceMode[];
  /** Deletes what the factory created. */
  cleanup(): Promise<void>;
}

const WAIT_MS = 20_000;

/** Resolves when `check` is true, polling; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Records what a Source or subscription hands out, and how many deliveries are un-settled.
 * `onDelivery` decides what to do with each one (default: ack at once).
 */
export class DeliveryRecorder {
  readonly received: Delivery[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  private readonly onDelivery: (d: Delivery, recorder: DeliveryRecorder) => void;

  constructor(onDelivery: (d: Delivery, recorder: DeliveryRecorder) => void = (d) => d.ack()) {
    this.onDelivery = onDelivery;
  }

  readonly handler = (delivery: Delivery): void => {
    this.outstanding += 1;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    let settled = false;
    const settle = () => {
      if (settled) throw new Error(`delivery ${delivery.origin} settled twice`);
      settled = true;
      this.outstanding -= 1;
    };
    const wrapped: Delivery = {
      event: delivery.event,
      origin: delivery.origin,
      redeliveries: delivery.redeliveries,
      ack: () => {
        settle();
        delivery.ack();
      },
      nack: (reason, delayMs) => {
        settle();
        delivery.nack(reason, delayMs);
      },
    };
    this.received.push(wrapped);
    this.onDelivery(wrapped, this);
  };

  ids(): string[] {
    return this.received.map((d) => String(d.event.attributes.id));
  }

  /** Waits until at least `n` deliveries were received in total. */
  async waitFor(n: number, what = `${n} deliveries`): Promise<void> {
    await waitUntil(`${what} (got ${this.received.length})`, () => this.received.length >= n);
  }

  /** Waits until every id in `ids` was received at least once. */
  async waitForIds(ids: readonly string[]): Promise<void> {
    await waitUntil(`ids ${ids.join(',')}`, () => {
      const seen = new Set(this.ids());
      return ids.every((id) => seen.has(id));
    });
  }
}

/** A test event with string attributes only (what survives every binding unchanged). */
export function conformanceEvent(
  n: number,
  data: Uint8Array | string = `event ${n}`,
  contentType = 'text/plain',
): MeshEvent {
  return makeEvent(
    {
      specversion: '1.0',
      id: uniqueName(`ev${n}`),
      source: '/meshgate/conformance',
      type: 'io.meshgate.conformance',
      subject: `n-${n}`,
      time: '2026-01-02T03:04:05.678Z',
      datacontenttype: contentType,
      meshgateconformance: 'yes',
    },
    data,
  );
}

/** Every byte value, in an order that is not valid UTF-8. */
function binaryPayload(): Uint8Array {
  const bytes = new Uint8Array(512);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (255 - i * 7) & 0xff;
  return bytes;
}

function expectSameEvent(got: MeshEvent, sent: MeshEvent): void {
  expect(got.attributes).toMatchObject(sent.attributes);
  expect(Buffer.from(got.data ?? new Uint8Array())).toEqual(Buffer.from(sent.data ?? new Uint8Array()));
}

/** Registers the conformance cases for one connector. */
export function describeConnectorConformance<D>(name: string, factory: ConnectorFactory<D>): void {
  describe(`${name} connector conformance`, () => {
    const opened: Array<Sink | Source | Channel | ChannelSubscription> = [];
    const track = <T extends Sink | Source | Channel | ChannelSubscription>(part: T): T => {
      opened.push(part);
      return part;
    };
    const nameOf = (dest: D) => (factory.nameOf ? factory.nameOf(dest) : String(dest));
    const modes = factory.modes ?? ['binary', 'structured'];

    /** Stops a source the test is done with, so that afterEach does not stop it again. */
    const stopSource = async (source: Source): Promise<void> => {
      const at = opened.indexOf(source);
      if (at >= 0) opened.splice(at, 1);
      await source.stop();
    };

    afterEach(async () => {
      // Close in reverse: subscriptions before their channel, sources before their sinks.
      for (const part of opened.splice(0).reverse()) {
        if ('start' in part) await part.stop();
        else await part.close();
      }
    });
    afterAll(async () => {
      await factory.cleanup();
    });

    async function sendAll(sink: Sink, events: readonly MeshEvent[]): Promise<void> {
      for (const event of events) await sink.send(event);
    }

    describe('binding round trip', () => {
      for (const mode of modes) {
        it(`${mode} mode keeps attributes and byte-identical data`, async () => {
          const dest = await factory.createDestination();
          const sink = track(factory.makeSink(dest, { mode }));
          const sent = [
            conformanceEvent(1, binaryPayload(), 'application/octet-stream'),
            conformanceEvent(2, 'plain text, not JSON: { ü ✓', 'text/plain; charset=utf-8'),
            conformanceEvent(3, '{"kept": [1, 2.50, "as is"]}', 'application/json'),
            makeEvent({ specversion: '1.0', id: uniqueName('nodata'), source: '/s', type: 't' }),
          ];
          await sendAll(sink, sent);
          const recorder = new DeliveryRecorder();
          const source = track(factory.makeSource(dest, { maxInFlight: 10 }));
          await source.start(recorder.handler);
          await recorder.waitFor(sent.length);
          const byId = new Map(recorder.received.map((d) => [d.event.attributes.id, d]));
          for (const event of sent.slice(0, 2)) expectSameEvent(byId.get(event.attributes.id)!.event, event);
          // JSON data may be re-serialized in structured mode; its value must not change.
          const json = byId.get(sent[2]!.attributes.id)!.event;
          expect(json.attributes).toMatchObject(sent[2]!.attributes);
          expect(JSON.parse(Buffer.from(json.data!).toString('utf8'))).toEqual({ kept: [1, 2.5, 'as is'] });
          const noData = byId.get(sent[3]!.attributes.id)!.event;
          expect(noData.attributes).toMatchObject(sent[3]!.attributes);
          expect(noData.data === undefined || noData.data.length === 0).toBe(true);
          for (const d of recorder.received) expect(d.origin).not.toBe('');
        });
      }

      it('wraps a message that is not a CloudEvent instead of dropping it', async () => {
        const dest = await factory.createDestination();
        const raw = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);
        await factory.publishRaw(dest, raw, {
          'content-type': 'application/octet-stream',
          'x-app': 'legacy',
        });
        const recorder = new DeliveryRecorder();
        const source = track(factory.makeSource(dest, { maxInFlight: 5 }));
        await source.start(recorder.handler);
        await recorder.waitFor(1);
        const event = recorder.received[0]!.event;
        expect(Buffer.from(event.data!)).toEqual(raw);
        expect(event.attributes.specversion).toBe('1.0');
        for (const required of ['id', 'source', 'type'] as const) {
          expect(typeof event.attributes[required]).toBe('string');
          expect(String(event.attributes[required])).not.toBe('');
        }
      });

      it('handles a malformed structured message as documented and keeps flowing', async () => {
        const dest = await factory.createDestination();
        const broken = Buffer.from('{"specversion": "1.0", "id": ', 'utf8');
        await factory.publishRaw(dest, broken, { 'content-type': 'application/cloudevents+json' });
        const good = conformanceEvent(1);
        await track(factory.makeSink(dest, { mode: modes[0]! })).send(good);
        const recorder = new DeliveryRecorder();
        const source = track(factory.makeSource(dest, { maxInFlight: 5 }));
        await source.start(recorder.handler);
        await recorder.waitForIds([String(good.attributes.id)]);
        if (factory.malformed.kind === 'wrapped') {
          await recorder.waitFor(2, 'the wrapped malformed message');
          const wrapped = recorder.received.find((d) => d.event.attributes.id !== good.attributes.id)!;
          expect(Buffer.from(wrapped.event.data!)).toEqual(broken);
        } else {
          const handling = factory.malformed;
          let dead: Uint8Array[] = [];
          const deadline = Date.now() + WAIT_MS;
          while (!dead.some((b) => Buffer.from(b).equals(broken))) {
            if (Date.now() > deadline)
              throw new Error('the malformed message was neither delivered nor dead-lettered');
            await sleep(100);
            dead = await handling.deadLettered(dest);
          }
          expect(recorder.ids()).toEqual([good.attributes.id]);
        }
      });
    });

    describe('at-least-once', () => {
      it('redelivers a nacked event', async () => {
        const dest = await factory.createDestination();
        const event = conformanceEvent(1);
        await track(factory.makeSink(dest, { mode: modes[0]! })).send(event);
        const recorder = new DeliveryRecorder((d, r) => {
          if (r.received.length === 1) d.nack(new Error('conformance: first attempt fails'), 0);
          else d.ack();
        });
        const source = track(factory.makeSource(dest, { maxInFlight: 5 }));
        await source.start(recorder.handler);
        await recorder.waitFor(2, 'the redelivery');
        expect(recorder.ids()).toEqual([event.attributes.id, event.attributes.id]);
        expectSameEvent(recorder.received[1]!.event, event);
        expect(recorder.outstanding).toBe(0);
      });

      it('redelivers a nacked event after its delay', async () => {
        const dest = await factory.createDestination();
        const event = conformanceEvent(1);
        await track(factory.makeSink(dest, { mode: modes[0]! })).send(event);
        const recorder = new DeliveryRecorder((d, r) => {
          if (r.received.length === 1) d.nack(new Error('conformance: retry later'), 300);
          else d.ack();
        });
        const source = track(factory.makeSource(dest, { maxInFlight: 5 }));
        await source.start(recorder.handler);
        await recorder.waitFor(2, 'the delayed redelivery');
        expect(recorder.ids()).toEqual([event.attributes.id, event.attributes.id]);
      });

      it('un-acked events survive a source restart; acked ones do not come back', async () => {
        const dest = await factory.createDestination();
        const sink = track(factory.makeSink(dest, { mode: modes[0]! }));
        const events = [1, 2, 3, 4].map((n) => conformanceEvent(n));
        await sendAll(sink, events);
        const ids = events.map((e) => String(e.attributes.id));

        // First instance: acks the first two, holds the others un-acked until it is stopped.
        const first = new DeliveryRecorder((d) => {
          if (d.event.attributes.id === ids[0] || d.event.attributes.id === ids[1]) d.ack();
        });
        const a = track(factory.makeSource(dest, { maxInFlight: 10 }));
        await a.start(first.handler);
        await first.waitForIds(ids);
        await stopSource(a);

        // Second instance (a restarted gateway): gets the two un-acked events back and acks them.
        const second = new DeliveryRecorder();
        const b = track(factory.makeSource(dest, { maxInFlight: 10 }));
        await b.start(second.handler);
        await second.waitForIds([ids[2]!, ids[3]!]);
        await stopSource(b);

        // Third instance: nothing that was acked comes back before a fresh marker event.
        const marker = conformanceEvent(5);
        await sink.send(marker);
        const third = new DeliveryRecorder();
        const c = track(factory.makeSource(dest, { maxInFlight: 10 }));
        await c.start(third.handler);
        await third.waitForIds([String(marker.attributes.id)]);
        await sleep(300);
        expect(third.ids()).toEqual([marker.attributes.id]);
        expect(second.ids().filter((id) => id === ids[0] || id === ids[1])).toEqual([]);
      });

      it('never has more than maxInFlight deliveries un-settled', async () => {
        const dest = await factory.createDestination();
        const events = Array.from({ length: 24 }, (_, i) => conformanceEvent(i));
        await sendAll(track(factory.makeSink(dest, { mode: modes[0]! })), events);
        const recorder = new DeliveryRecorder((d) => {
          setTimeout(() => d.ack(), 15);
        });
        const source = track(factory.makeSource(dest, { maxInFlight: 3 }));
        await source.start(recorder.handler);
        await recorder.waitForIds(events.map((e) => String(e.attributes.id)));
        expect(recorder.maxOutstanding).toBeGreaterThanOrEqual(1);
        expect(recorder.maxOutstanding).toBeLessThanOrEqual(3);
      });
    });

    describe('ordering', () => {
      it('ordered mode hands events out in publish order, also across a nack', async () => {
        const dest = await factory.createDestination();
        const events = Array.from({ length: 10 }, (_, i) => conformanceEvent(i));
        await sendAll(track(factory.makeSink(dest, { mode: modes[0]! })), events);
        const ids = events.map((e) => String(e.attributes.id));
        let nacked = false;
        const recorder = new DeliveryRecorder((d) => {
          // Settle later, so that a source that does not wait for the ack would run ahead.
          setTimeout(() => {
            if (!nacked && d.event.attributes.id === ids[3]) {
              nacked = true;
              d.nack(new Error('conformance: ordered retry'), 0);
            } else d.ack();
          }, 5);
        });
        const source = track(factory.makeSource(dest, { maxInFlight: 10, ordered: true }));
        await source.start(recorder.handler);
        await recorder.waitFor(ids.length + 1);
        expect(recorder.ids()).toEqual([...ids.slice(0, 4), ...ids.slice(3)]);
      });
    });

    if (factory.makeChannel) {
      const makeChannel = factory.makeChannel.bind(factory);
      describe('channel', () => {
        const subscription = (maxInFlight: number): SubscriptionOptions => ({
          name: uniqueName('trigger'),
          maxInFlight,
        });

        it('gives every subscription every event, each at its own pace', async () => {
          const channel = track(await makeChannel());
          expect(channel.durable).toBe(true);
          // `slow` holds its first delivery and acks nothing until released.
          let release: (() => void) | undefined;
          const released = new Promise<void>((resolve) => {
            release = resolve;
          });
          const fast = new DeliveryRecorder();
          const slow = new DeliveryRecorder((d) => {
            void released.then(() => d.ack());
          });
          track(await channel.subscribe(subscription(10), fast.handler));
          track(await channel.subscribe(subscription(1), slow.handler));
          const events = Array.from({ length: 6 }, (_, i) => conformanceEvent(i));
          for (const event of events) await channel.publish(event);
          const ids = events.map((e) => String(e.attributes.id));

          await fast.waitForIds(ids);
          expect(slow.received.length).toBe(1);
          release!();
          await slow.waitForIds(ids);
          expect(fast.ids().sort()).toEqual([...ids].sort());
          expect(slow.ids().sort()).toEqual([...ids].sort());
          expectSameEvent(slow.received.find((d) => d.event.attributes.id === ids[0])!.event, events[0]!);
        });

        it('keeps a subscription progress across close and re-subscribe with the same name', async () => {
          const channel = track(await makeChannel());
          const options = subscription(10);
          const first = new DeliveryRecorder((d, r) => {
            if (r.received.length === 1) d.ack();
          });
          const sub = track(await channel.subscribe(options, first.handler));
          const events = [1, 2, 3].map((n) => conformanceEvent(n));
          for (const event of events) await channel.publish(event);
          const ids = events.map((e) => String(e.attributes.id));
          await first.waitForIds(ids);
          const acked = first.ids()[0];
          opened.splice(opened.indexOf(sub), 1);
          await sub.close();

          const again = new DeliveryRecorder();
          track(await channel.subscribe(options, again.handler));
          const rest = ids.filter((id) => id !== acked);
          await again.waitForIds(rest);
          await sleep(300);
          expect(again.ids().sort()).toEqual([...rest].sort());
        });
      });
    }

    describe('sink errors', () => {
      it('rejects a send to a missing destination with a MeshgateError naming it', async () => {
        const dest = factory.missingDestination();
        const sink = track(factory.makeSink(dest, { mode: modes[0]! }));
        const err = await sink.send(conformanceEvent(1)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(MeshgateError);
        expect((err as MeshgateError).message).toContain(nameOf(dest));
      });
    });
  });
}
