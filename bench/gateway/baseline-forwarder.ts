// The ingress benchmark's baseline: a bare node:http server that forwards each request, headers
// and body, with undici to one URL and answers 202 once the target answered. No parsing, no
// validation, no queue: the least any HTTP relay can do.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const target = new URL(process.argv[2] as string);
const pool = new Pool(target.origin, { connections: 64 });
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
    pool.request({ method: 'POST', path: target.pathname, headers, body: Buffer.concat(chunks) }).then(
      async (r) => {
        await r.body.dump();
        res.writeHead(202, { 'content-length': '0' });
        res.end();
      },
      () => {
        res.writeHead(502, { 'content-length': '0' });
        res.end();
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
