/** The Addressable receiver on a real node:http server, driven by a real HTTP client. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InvalidEventError,
  type MeshEvent,
  makeEvent,
  NotConnectedError,
  OverloadedError,
} from '@meshgate/core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHttpBatch, encodeHttpBinary } from '../src/http-binding.js';
import { createCloudEventsReceiver } from '../src/receiver.js';

let server: Server;
let url: string;
let behaviour: (events: MeshEvent[]) => Promise<MeshEvent | undefined>;
const accepted: MeshEvent[][] = [];
const errors: number[] = [];

beforeAll(async () => {
  server = createServer(
    createCloudEventsReceiver({
      maxBodyBytes: 64,
      accept: async (events) => {
        accepted.push(events);
        return behaviour(events);
      },
      onError: (_err, status) => errors.push(status),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/default/broker`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const event = makeEvent(
  { specversion: '1.0', id: 'e-1', source: '/s', type: 't', datacontenttype: 'text/plain' },
  'hi',
);

async function post(headers: Record<string, string>, body?: Uint8Array | string, method = 'POST') {
  const res = await request(url, { method, headers, body: body ?? null });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('createCloudEventsReceiver', () => {
  it('answers 202 once accept resolves, with the event intact', async () => {
    behaviour = async () => undefined;
    accepted.length = 0;
    const msg = encodeHttpBinary(event);
    const res = await post(msg.headers, msg.body);
    expect(res.status).toBe(202);
    expect(accepted[0]?.[0]?.attributes.id).toBe('e-1');
    expect(Buffer.from(accepted[0]?.[0]?.data ?? []).toString()).toBe('hi');
  });

  it('answers 200 with a reply event, and passes a batch as one call', async () => {
    behaviour = async () => makeEvent({ specversion: '1.0', id: 'r', source: '/s', type: 'reply' });
    const res = await post(encodeHttpBinary(event).headers, 'hi');
    expect(res.status).toBe(200);
    expect(res.headers['ce-id']).toBe('r');
    accepted.length = 0;
    behaviour = async () => undefined;
    const batch = encodeHttpBatch([makeEvent({ specversion: '1.0', id: '1', source: '/s', type: 't' })]);
    expect((await post(batch.headers, batch.body)).status).toBe(202);
    expect(accepted[0]).toHaveLength(1);
  });

  it('maps failures to 400, 405, 413, 415, 429, 503 and 500 with a body naming the problem', async () => {
    behaviour = async () => undefined;
    const bad = await post({ 'ce-specversion': '1.0', 'ce-id': '1' }, 'x');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toContain("'source' is missing");
    expect((await post({}, undefined, 'GET')).status).toBe(405);
    const big = await post(encodeHttpBinary(event).headers, 'x'.repeat(100));
    expect(big.status).toBe(413);
    expect((await post({ 'content-type': 'application/cloudevents+xml' }, '<e/>')).status).toBe(415);

    const ok = encodeHttpBinary(event);
    for (const [err, status] of [
      [new OverloadedError('buffer full', 2), 429],
      [new NotConnectedError('kafka down'), 503],
      [new InvalidEventError('ttl exhausted'), 400],
      [new Error('boom'), 500],
    ] as const) {
      behaviour = async () => {
        throw err;
      };
      const res = await post(ok.headers, ok.body);
      expect(res.status).toBe(status);
      if (status === 429) expect(res.headers['retry-after']).toBe('2');
    }
    expect(errors).toContain(413);
  });
});
