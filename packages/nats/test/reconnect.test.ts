// A network drop between meshgate and NATS, made real with a TCP proxy in front of the server
// (cutting the proxy's sockets), so the shared server is never touched: the source reports
// `degraded`, nats.js reconnects, deliveries held across the drop can still be settled, and
// what is published meanwhile arrives.
import net from 'node:net';
import type { Delivery } from '@meshgate/core';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conformanceEvent,
  DeliveryRecorder,
  waitUntil,
} from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { jetStreamName, NatsSink, NatsSource } from '../src/index.js';

/** A TCP proxy to the NATS server whose connections can be cut at will. */
async function startProxy(target: URL): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 4222), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `nats://127.0.0.1:${port}`,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let nc: NatsConnection;
let stream: string;

beforeAll(async () => {
  nc = await connect({ servers: services.natsUrl() });
  stream = jetStreamName(uniqueName('RECON'));
  await (await nc.jetstreamManager()).streams.add({ name: stream, subjects: [`${stream}.>`] });
});
afterAll(async () => {
  await (await nc.jetstreamManager()).streams.delete(stream).catch(() => {});
  await nc.close();
});

describe('nats reconnect after a network drop', () => {
  it('goes degraded, reconnects, keeps consuming; nothing is lost', async () => {
    const proxy = await startProxy(new URL(services.natsUrl()));
    const sink = new NatsSink({ name: 'recon-sink', servers: services.natsUrl(), subject: `${stream}.in` });
    const before = [1, 2, 3].map((n) => conformanceEvent(n));
    for (const e of before) await sink.send(e);
    let dropped = false;
    const held: Delivery[] = [];
    const recorder = new DeliveryRecorder((d) => {
      if (dropped) d.ack();
      else held.push(d);
    });
    const source = new NatsSource({
      name: 'recon',
      servers: proxy.url,
      stream,
      maxInFlight: 10,
      pullExpiresMs: 1000,
      stopGraceMs: 200,
    });
    try {
      await source.start(recorder.handler);
      await recorder.waitForIds(before.map((e) => String(e.attributes.id)));
      dropped = true;
      proxy.cut();
      await waitUntil('degraded after the drop', () => source.status().state === 'degraded', 10_000);
      await waitUntil('ready after reconnecting', () => source.status().state === 'ready');
      // Settling deliveries from before the drop still reaches the server.
      for (const d of held) d.ack();
      const after = [4, 5].map((n) => conformanceEvent(n));
      for (const e of after) await sink.send(e);
      await recorder.waitForIds(after.map((e) => String(e.attributes.id)));
      // The server agrees: nothing left un-acked, from before or after the drop.
      const jsm = await nc.jetstreamManager();
      let pending = -1;
      for (let i = 0; i < 100 && pending !== 0; i++) {
        pending = (await jsm.consumers.info(stream, 'meshgate-recon')).num_ack_pending;
        if (pending !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pending).toBe(0);
      expect(recorder.outstanding).toBe(0);
    } finally {
      await source.stop();
      await sink.close();
      await proxy.close();
    }
  });
});
