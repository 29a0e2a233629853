/**
 * HttpAddressableSender against real HTTP servers: node:http in this process, and one in a child
 * process.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MeshgateError, makeEvent } from '@meshgate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpAddressableSender } from '../src/http-sender.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

interface Received {
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server;
let url: string;
let handler: Handler;
const received: Received[] = [];
const sender = new HttpAddressableSender({ connectionsPerOrigin: 2 });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sink?x=1`;
});

afterEach(() => {
  received.length = 0;
});

afterAll(async () => {
  await sender.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const event = makeEvent(
  {
    specversion: '1.0',
    id: 'e-1',
    source: '/orders',
    type: 'order.created',
    subject: 'a b',
    datacontenttype: 'image/png',
  },
  new Uint8Array([137, 80, 78, 71, 0, 255]),
);

describe('HttpAddressableSender', () => {
  it('sends binary mode with Prefer: reply and extra headers; data arrives byte-identical', async () => {
    handler = (_req, _body, res) => res.writeHead(202).end();
    const response = await sender.send({ url, event, headers: { 'kn-namespace': 'default' } });
    expect(response.status).toBe(202);
    expect(response.reply).toBeUndefined();
    const got = received[0] as Received;
    expect(got.headers.prefer).toBe('reply');
    expect(got.headers['kn-namespace']).toBe('default');
    expect(got.headers['ce-id']).toBe('e-1');
    expect(got.headers['ce-subject']).toBe('a%20b');
    expect(got.headers['content-type']).toBe('image/png');
    expect([...got.body]).toEqual([137, 80, 78, 71, 0, 255]);
  });

  it('sends structured mode when asked', async () => {
    handler = (_req, _body, res) => res.writeHead(204).end();
    const response = await sender.send({ url, event, mode: 'structured' });
    expect(response.status).toBe(204);
    const got = received[0] as Received;
    expect(got.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(JSON.parse(got.body.toString()).data_base64).toBe(
      Buffer.from([137, 80, 78, 71, 0, 255]).toString('base64'),
    );
  });

  it('parses a binary or structured CloudEvent in a 2xx response as the reply', async () => {
    handler = (_req, _body, res) =>
      res
        .writeHead(200, {
          'ce-specversion': '1.0',
          'ce-id': 'r-1',
          'ce-source': '/sub',
          'ce-type': 'reply',
          'content-type': 'text/plain',
        })
        .end('done');
    const binary = await sender.send({ url, event });
    expect(binary.reply?.attributes).toMatchObject({
      id: 'r-1',
      type: 'reply',
      datacontenttype: 'text/plain',
    });
    expect(Buffer.from(binary.reply?.data ?? []).toString()).toBe('done');
    expect(binary.replyError).toBeUndefined();

    handler = (_req, _body, res) =>
      res.writeHead(200, { 'content-type': 'application/cloudevents+json' }).end(
        JSON.stringify({
          specversion: '1.0',
          id: 'r-2',
          source: '/sub',
          type: 'reply',
          data: { ok: true },
        }),
      );
    const structured = await sender.send({ url, event });
    expect(structured.reply?.attributes.id).toBe('r-2');
  });

  it('sets replyError for a non-empty non-CloudEvent 2xx body, but not for 202 or an empty body', async () => {
    handler = (_req, _body, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>ok</html>');
    const bad = await sender.send({ url, event });
    expect(bad.replyError).toContain('not a CloudEvent (content-type: text/html)');
    expect(Buffer.from(bad.body ?? []).toString()).toBe('<html>ok</html>');

    handler = (_req, _body, res) =>
      res.writeHead(200, { 'content-type': 'application/cloudevents+json' }).end('{"id":"no-type"}');
    expect((await sender.send({ url, event })).replyError).toContain("'type' is missing");

    handler = (_req, _body, res) => res.writeHead(202, { 'content-type': 'text/plain' }).end('accepted');
    const accepted = await sender.send({ url, event });
    expect(accepted.replyError).toBeUndefined();
    expect(accepted.reply).toBeUndefined();

    handler = (_req, _body, res) => res.writeHead(200).end();
    const empty = await sender.send({ url, event });
    expect(empty.replyError).toBeUndefined();
    expect(empty.body).toBeUndefined();
  });

  it('returns non-2xx answers with headers and the first 1024 body bytes', async () => {
    handler = (_req, _body, res) => res.writeHead(503, { 'retry-after': '7' }).end('x'.repeat(5000));
    const response = await sender.send({ url, event });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.body?.byteLength).toBe(1024);
  });

  it('rejects with a retriable error when no answer comes within timeoutMs', async () => {
    handler = () => {
      // Never answer.
    };
    const err = await sender.send({ url, event, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).retriable).toBe(true);
    expect((err as MeshgateError).message).toBe(`no answer from ${url} within 100 ms`);
  });

  it('rejects with a retriable error naming the URL when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const target = `http://127.0.0.1:${port}/`;
    const err = await sender.send({ url: target, event }).catch((e: unknown) => e);
    expect((err as MeshgateError).retriable).toBe(true);
    expect((err as MeshgateError).message).toContain(`cannot reach ${target}`);
    expect((err as MeshgateError).message).toContain('ECONNREFUSED');
  });

  it('rejects when the caller aborts, and refuses an invalid URL as not retriable', async () => {
    handler = () => {};
    const controller = new AbortController();
    const pending = sender.send({ url, event, signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    const err = (await pending) as MeshgateError;
    expect(err.message).toBe(`sending to ${url} was aborted`);
    expect(err.retriable).toBe(true);

    const bad = (await sender.send({ url: 'ftp://x/', event }).catch((e: unknown) => e)) as MeshgateError;
    expect(bad.retriable).toBe(false);
    expect(bad.message).toContain('is not http(s)');
  });

  it('aborts every request sharing one signal, and refuses at once on a signal already aborted', async () => {
    handler = () => {};
    const controller = new AbortController();
    const pending = [1, 2, 3].map(() =>
      sender.send({ url, event, signal: controller.signal }).then(
        () => undefined,
        (e: unknown) => e as MeshgateError,
      ),
    );
    setTimeout(() => controller.abort(), 20);
    for (const err of await Promise.all(pending)) expect(err?.message).toBe(`sending to ${url} was aborted`);
    const before = received.length;
    const late = (await sender
      .send({ url, event, signal: controller.signal })
      .catch((e: unknown) => e)) as MeshgateError;
    expect(late.message).toBe(`sending to ${url} was aborted`);
    expect(received.length).toBe(before); // never sent
  });

  it('times out a request still waiting for a free connection', async () => {
    const one = new HttpAddressableSender({ connectionsPerOrigin: 1 });
    handler = () => {}; // hold the only connection
    const failure = (e: unknown) => e as MeshgateError;
    const first = one.send({ url, event, timeoutMs: 400 }).then(() => undefined, failure);
    const queued = await one.send({ url, event, timeoutMs: 100 }).then(() => undefined, failure);
    expect(queued?.message).toBe(`no answer from ${url} within 100 ms`);
    expect((await first)?.message).toBe(`no answer from ${url} within 400 ms`);
    await one.close();
  });

  it('stops reading a 2xx body past maxReplyBytes: reply error, next request still served', async () => {
    const small = new HttpAddressableSender({ maxReplyBytes: 2048 });
    handler = (_req, _body, res) =>
      res.writeHead(200, { 'content-type': 'application/cloudevents+json' }).end('x'.repeat(100_000));
    const response = await small.send({ url, event });
    expect(response.status).toBe(200);
    expect(response.replyError).toBe('response body is larger than 2048 bytes');
    expect(response.body?.byteLength).toBe(1024);
    handler = (_req, _body, res) => res.writeHead(202).end();
    expect((await small.send({ url, event })).status).toBe(202);
    await small.close();
  });

  it('keeps connections alive and at most connectionsPerOrigin open to one origin', async () => {
    const local = new HttpAddressableSender({ connectionsPerOrigin: 2 });
    const seen = new Set<unknown>();
    let open = 0;
    let maxOpen = 0;
    handler = (req, _body, res) => {
      seen.add(req.socket);
      open++;
      maxOpen = Math.max(maxOpen, open);
      setTimeout(() => {
        open--;
        res.writeHead(202).end();
      }, 20);
    };
    await Promise.all(Array.from({ length: 8 }, () => local.send({ url, event })));
    for (let i = 0; i < 3; i++) await local.send({ url, event });
    await local.close();
    expect(maxOpen).toBeLessThanOrEqual(2);
    // Keep-alive: 11 requests over a handful of connections (not one each).
    expect(seen.size).toBeLessThanOrEqual(4);
  });
});

describe('HttpAddressableSender with a subscriber in another process', () => {
  it('delivers and reads the reply', async () => {
    const script = fileURLToPath(new URL('./fixtures/reply-server.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
        child.once('exit', (code) => reject(new Error(`reply server exited with ${code}`)));
      });
      const local = new HttpAddressableSender();
      const response = await local.send({ url: `http://127.0.0.1:${port}/`, event, timeoutMs: 5000 });
      await local.close();
      expect(response.status).toBe(200);
      expect(response.reply?.attributes).toMatchObject({
        id: 'e-1-reply',
        prefer: 'reply',
        datacontenttype: 'image/png',
      });
      expect([...(response.reply?.data ?? [])]).toEqual([137, 80, 78, 71, 0, 255]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
