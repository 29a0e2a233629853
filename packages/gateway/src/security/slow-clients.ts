/**
 * Cuts off slow clients (slowloris): a connection must deliver a request's headers within
 * `headersTimeoutMs` of opening (or of the previous response on a kept-alive connection), and the
 * body within `requestTimeoutMs` of the headers. node:http has `headersTimeout`/`requestTimeout` too,
 * but checks them only every `connectionsCheckingInterval` (30 s); these timers are per connection
 * and exact, and cost nothing when clients are quick.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

export interface SlowClientLimits {
  /** Time for the request line and headers to arrive. Default 10 000 ms. */
  headersTimeoutMs: number;
  /** Time for a request's body to arrive once its headers are in. Default 30 000 ms. */
  requestTimeoutMs: number;
}

export const DEFAULT_SLOW_CLIENT_LIMITS: Readonly<SlowClientLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
});

/** Installs the timers on `server`; returns a function that removes them for new connections. */
export function limitSlowClients(server: Server, limits: Partial<SlowClientLimits> = {}): () => void {
  const { headersTimeoutMs, requestTimeoutMs } = { ...DEFAULT_SLOW_CLIENT_LIMITS, ...limits };
  const waiting = new WeakMap<Socket, NodeJS.Timeout>();
  const arm = (socket: Socket, ms: number) => {
    clearTimeout(waiting.get(socket));
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    waiting.set(socket, timer);
  };
  const onConnection = (socket: Socket) => {
    arm(socket, headersTimeoutMs);
    socket.once('close', () => clearTimeout(waiting.get(socket)));
  };
  const onRequest = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const socket = req.socket;
    // Headers are in; the rest of the request has what is left of requestTimeoutMs.
    if (req.complete) clearTimeout(waiting.get(socket));
    else {
      arm(socket, requestTimeoutMs);
      req.once('end', () => clearTimeout(waiting.get(socket)));
    }
    // A kept-alive connection waits for its next request's headers.
    res.once('finish', () => {
      if (!socket.destroyed) arm(socket, headersTimeoutMs);
    });
  };
  // Over TLS, requests arrive on the TLS socket: the timers start once the handshake is done
  // (the server's handshakeTimeout bounds the handshake itself).
  const opened = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(opened, onConnection);
  server.prependListener('request', onRequest);
  return () => {
    server.off(opened, onConnection);
    server.off('request', onRequest);
  };
}
