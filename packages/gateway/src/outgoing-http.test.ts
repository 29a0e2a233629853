import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeEvent } from '@meshgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { OutgoingHttp } from './outgoing-http.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A real HTTP server that records what it receives and answers 202. */
async function recorder(): Promise<{
  url: string;
  received: { headers: IncomingMessage['headers']; body: string }[];
}> {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(202).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mesh/default`, received };
}

describe('OutgoingHttp', () => {
  it('sends a batch as one CloudEvents batch request (peer links batch through it)', async () => {
    const peer = await recorder();
    const http = new OutgoingHttp();
    closers.push(() => http.close());
    // A peer with its own settings must batch too; this one has no TLS, so it uses the default client.
    http.setPeers([{ url: peer.url }]);
    const events = ['a', 'b', 'c'].map((id) =>
      makeEvent({ specversion: '1.0', id, source: '/s', type: 't' }, Buffer.from(`{"n":"${id}"}`)),
    );
    const response = await http.sendBatch({ url: peer.url, events, headers: { 'meshgate-peer': 'east' } });
    expect(response.status).toBe(202);
    expect(peer.received).toHaveLength(1);
    const [request] = peer.received;
    expect(request?.headers['content-type']).toMatch(/^application\/cloudevents-batch\+json/);
    expect(request?.headers['meshgate-peer']).toBe('east');
    expect((JSON.parse(request?.body ?? '[]') as { id: string }[]).map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });
});
