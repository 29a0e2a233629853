/**
 * NATS JetStream end to end (issue 5) with `meshgate start` as a process and a real NATS server:
 * nats.js -> NatsSource (durable consumer) -> Broker (JetStream stream) -> Trigger -> HTTP sink,
 * and HTTP ingress -> Broker -> Trigger -> NatsSink (by ref, PubAck) -> read back with nats.js.
 */
import { connect, headers, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubscriber } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import { postEvent, RequestTally, renderConfig, startGateway } from './support.js';

let nc: NatsConnection;
let jsm: JetStreamManager;
const streams: string[] = [];

/** A stream name NATS accepts (no dots). */
const streamName = (prefix: string) => uniqueName(prefix).replace(/[^A-Za-z0-9_-]/g, '_');

beforeAll(async () => {
  nc = await connect({ servers: services.natsUrl() });
  jsm = await nc.jetstreamManager();
});
afterAll(async () => {
  for (const s of streams) await jsm.streams.delete(s).catch(() => {});
  await nc.close();
});

describe('NATS JetStream end to end', () => {
  it('nats.js -> NatsSource -> Broker -> Trigger -> HTTP sink, and HTTP -> Broker -> Trigger -> NatsSink -> nats.js', async () => {
    const inStream = streamName('e2e_nats_in');
    const outStream = streamName('e2e_nats_out');
    const brokerStream = streamName('e2e_nats_broker');
    const inSubject = `${inStream}.orders`;
    const outSubject = `${outStream}.orders`;
    await jsm.streams.add({ name: inStream, subjects: [`${inStream}.>`] });
    await jsm.streams.add({ name: outStream, subjects: [`${outStream}.>`] });
    streams.push(inStream, outStream, brokerStream);
    const http = await startSubscriber();
    const gw = await startGateway(
      renderConfig('nats.yaml', {
        url: services.natsUrl(),
        brokerStream,
        inStream,
        outSubject,
        httpUrl: http.url,
      }),
    );

    // In: a binary-mode CloudEvent published to the stream with the native client.
    const js = nc.jetstream();
    const h = headers();
    h.set('ce-specversion', '1.0');
    h.set('ce-id', 'n-in-1');
    h.set('ce-type', 'com.example.in');
    h.set('ce-source', '/e2e/nats');
    h.set('content-type', 'application/octet-stream');
    const data = new Uint8Array([9, 8, 7, 0xff, 0]);
    await js.publish(inSubject, data, { headers: h });
    const tally = new RequestTally(http);
    await tally.until((t) => t.ids.has('n-in-1'), 20_000, 'the event at the HTTP sink');
    const got = http.requests().find((r) => r.headers['ce-id'] === 'n-in-1');
    expect(got?.headers['ce-type']).toBe('com.example.in');
    expect(got?.headers['ce-source']).toBe('/e2e/nats');
    expect(got?.body.equals(Buffer.from(data))).toBe(true);

    // Out: HTTP ingress to the Broker, delivered by a Trigger to the NatsSink.
    const res = await postEvent(`${gw.url}/shop/default`, 'n-out-1', 'com.example.out', '{"n":1}');
    expect(res.status).toBe(202);
    const consumer = await js.consumers.get(outStream);
    const message = await consumer.next({ expires: 20_000 });
    if (!message) throw new Error('nothing arrived in the NatsSink stream');
    expect(message.subject).toBe(outSubject);
    expect(message.headers?.get('ce-id')).toBe('n-out-1');
    expect(message.headers?.get('ce-type')).toBe('com.example.out');
    expect(message.headers?.get('Nats-Msg-Id')).toBe('/e2e/http n-out-1');
    expect(message.string()).toBe('{"n":1}');
    expect(tally.update().ids.has('n-out-1')).toBe(false);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  });
});
