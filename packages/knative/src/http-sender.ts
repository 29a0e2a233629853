/**
 * Sends one CloudEvent to an Addressable over HTTP with undici: one Agent, a keep-alive pool per
 * origin with a connection limit, a per-attempt timeout, `Prefer: reply`, and the response read
 * the way Knative's delivery contract needs (reply event, reply error, first 1024 body bytes).
 *
 * @see https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md#event-reply-contract
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import {
  type AddressableSender,
  InvalidEventError,
  MeshgateError,
  type SendBatchRequest,
  type SendRequest,
  type SendResponse,
} from '@meshgate/core';
import { Agent, type buildConnector, type Dispatcher, interceptors } from 'undici';
import { EgressGuard, type EgressOptions } from './egress-guard.js';
import { type ExchangeResult, HttpExchange, SignalRegistry, TimeoutReason } from './http-exchange.js';
import {
  decodeHttpRequest,
  encodeHttp,
  encodeHttpBatch,
  type HttpMessage,
  isHttpCloudEvent,
} from './http-binding.js';

export interface HttpAddressableSenderOptions {
  /** Most connections per origin (keep-alive pool size). Default 128. */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive connection is kept. Default 4000 ms. */
  keepAliveTimeoutMs?: number;
  /** TCP/TLS connect timeout. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** Largest 2xx body read as a reply event; a larger one is a reply error. Default 4 MiB. */
  maxReplyBytes?: number;
  /** The User-Agent header. Default `meshgate`. */
  userAgent?: string;
  /**
   * The egress guard (SSRF): which addresses deliveries may connect to, and whether redirects are
   * followed. Default: link-local and cloud metadata addresses refused, redirects not followed.
   */
  egress?: EgressOptions | EgressGuard;
  /**
   * TLS for https URLs. Default: the server certificate is verified against node's CA store
   * (`ca` replaces it; {@link withDefaultCas} adds to it), no client certificate.
   */
  tls?: HttpClientTls;
}

/** TLS settings of the HTTP client (node's tls.connect options of the same names). */
export interface HttpClientTls {
  /** PEM CA certificates to trust, in place of node's default ones. */
  ca?: string | readonly string[];
  /** PEM client certificate (mTLS), with `key`. */
  cert?: string;
  key?: string;
  /** Name to check the server certificate against (default: the URL's host). */
  servername?: string;
  /** false: accept any server certificate (testing only). Default true. */
  rejectUnauthorized?: boolean;
}

/**
 * Node's default CAs (the bundled Mozilla store, plus NODE_EXTRA_CA_CERTS) followed by `extra`:
 * for `tls.ca` when a private CA is trusted besides the usual ones.
 */
export function withDefaultCas(extra: readonly string[]): string[] {
  const getter = (tls as { getCACertificates?: (type?: string) => string[] }).getCACertificates;
  if (getter) return [...getter('default'), ...extra];
  const defaults = [...tls.rootCertificates];
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  if (extraFile) {
    try {
      defaults.push(readFileSync(extraFile, 'utf8'));
    } catch {
      // node itself warns at start when the file cannot be read
    }
  }
  return [...defaults, ...extra];
}

/** Hops followed when the egress guard allows redirects. */
const MAX_REDIRECTIONS = 3;

/** The first bytes of a response body kept for `knativeerrordata`. */
export const ERROR_BODY_BYTES = 1024;
/** Error bodies are drained up to this size so the connection can be reused; larger ones close it. */
const DRAIN_LIMIT = 64 * 1024;
const URL_CACHE_LIMIT = 1024;

interface Target {
  origin: string;
  path: string;
}

export class HttpAddressableSender implements AddressableSender {
  private readonly agent: Agent;
  /** The agent (egress guard and TLS included), for other requests to the same places. */
  readonly dispatcher: Dispatcher;
  private readonly maxReplyBytes: number;
  private readonly userAgent: string;
  private readonly targets = new Map<string, Target>();
  private readonly signals = new SignalRegistry();
  /** How much of a response body is read: a reply up to maxReplyBytes, an error body for draining. */
  private readonly bodyLimit = (status: number): number =>
    status >= 200 && status < 300 ? this.maxReplyBytes : DRAIN_LIMIT;

  constructor(options: HttpAddressableSenderOptions = {}) {
    const egress = options.egress instanceof EgressGuard ? options.egress : new EgressGuard(options.egress);
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 128,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
      // TLS options go to tls.connect, after the egress guard's address check.
      connect: egress.connector({
        timeout: options.connectTimeoutMs ?? 10_000,
        ...connectTls(options.tls),
      }),
    });
    this.dispatcher = egress.allowRedirects
      ? this.agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }))
      : this.agent;
    this.maxReplyBytes = options.maxReplyBytes ?? 4 * 1024 * 1024;
    this.userAgent = options.userAgent ?? 'meshgate';
  }

  /**
   * Sends once. Resolves with any HTTP answer; rejects with a retriable MeshgateError
   * (`DELIVERY_FAILED`) when no answer came: timeout, refused or reset connection, abort.
   */
  send(request: SendRequest): Promise<SendResponse> {
    // Not async: an encoding error (an invalid event) must still come back as a rejection.
    try {
      return this.post(request, encodeHttp(request.event, request.mode ?? 'binary'), true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Several events in one request (batched mode, for a peer gateway); the answer is for all. */
  async sendBatch(request: SendBatchRequest): Promise<SendResponse> {
    return this.post(request, encodeHttpBatch(request.events), false);
  }

  private async post(
    request: Omit<SendRequest, 'event' | 'mode'>,
    message: HttpMessage,
    replies: boolean,
  ): Promise<SendResponse> {
    const { url } = request;
    const target = this.target(url);
    const headers = headerList(request.headers, message.headers, this.userAgent, replies);

    const exchange = await new Promise<ExchangeResult>((resolve, reject) => {
      const { signal } = request;
      const x = new HttpExchange(
        this.bodyLimit,
        resolve,
        (err, reason) => reject(sendError(url, err, reason)),
        request.timeoutMs,
        signal && ((done) => this.signals.remove(signal, done)),
      );
      if (signal !== undefined && !this.signals.add(signal, x)) x.abort(signal.reason);
      else
        this.dispatcher.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: 'POST',
            headers,
            body: message.body === undefined ? null : message.body,
          },
          x,
        );
    });
    const { status } = exchange;
    const success = status >= 200 && status < 300;
    const response: SendResponse = { status, headers: flattenHeaders(exchange.headers) };
    if (exchange.size > 0) response.body = exchange.bytes.subarray(0, ERROR_BODY_BYTES);
    // Data plane: a 202 is never a reply; other 2xx may carry one.
    if (replies && success && status !== 202) this.readReply(response, exchange.headers, exchange);
    return response;
  }

  /** Closes idle connections and waits for in-flight requests. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private readReply(
    response: SendResponse,
    headers: Record<string, string | string[] | undefined>,
    read: ExchangeResult,
  ) {
    if (read.truncated) {
      response.replyError = `response body is larger than ${this.maxReplyBytes} bytes`;
      return;
    }
    if (!isHttpCloudEvent(headers)) {
      if (read.size > 0) {
        response.replyError = `response body is not a CloudEvent (content-type: ${String(headers['content-type'] ?? 'none')})`;
      }
      return;
    }
    try {
      const decoded = decodeHttpRequest(headers, read.bytes);
      if (decoded.mode === 'batch') response.replyError = 'a batch of events is not a valid reply';
      else response.reply = decoded.events[0];
    } catch (err) {
      response.replyError = err instanceof Error ? err.message : String(err);
    }
  }

  private target(url: string): Target {
    const cached = this.targets.get(url);
    if (cached !== undefined) return cached;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new MeshgateError('DELIVERY_FAILED', `invalid Addressable URL '${url}'`, { cause: err });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new MeshgateError('DELIVERY_FAILED', `Addressable URL '${url}' is not http(s)`);
    }
    const target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    if (this.targets.size >= URL_CACHE_LIMIT) this.targets.clear();
    this.targets.set(url, target);
    return target;
  }
}

function connectTls(settings: HttpClientTls | undefined): buildConnector.BuildOptions {
  if (settings === undefined) return {};
  const { ca, cert, key, servername, rejectUnauthorized } = settings;
  return {
    ...(ca !== undefined && { ca: typeof ca === 'string' ? ca : [...ca] }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(servername !== undefined && { servername }),
    ...(rejectUnauthorized !== undefined && { rejectUnauthorized }),
  } as buildConnector.BuildOptions;
}

function sendError(url: string, err: unknown, abortReason: unknown): MeshgateError {
  if (err instanceof MeshgateError) return err;
  if (abortReason !== undefined) {
    const message =
      abortReason instanceof TimeoutReason
        ? `no answer from ${url} within ${abortReason.ms} ms`
        : `sending to ${url} was aborted`;
    return new MeshgateError('DELIVERY_FAILED', message, { retriable: true, cause: err });
  }
  if (err instanceof InvalidEventError) return err;
  const e = err as { code?: string; message?: string };
  const detail = e.code !== undefined ? `${e.code}: ${e.message}` : String(e.message ?? err);
  return new MeshgateError('DELIVERY_FAILED', `cannot reach ${url} (${detail})`, {
    retriable: true,
    cause: err,
  });
}

/**
 * The request headers as undici's flat [name, value, ...] list: the caller's, then the message's
 * (which win), then ours. Built by hand because merging with object spreads cost several µs per
 * request in the profile (V8 is slow to add keys to a spread clone).
 */
function headerList(
  extra: Record<string, string> | undefined,
  message: Record<string, string>,
  userAgent: string,
  replies: boolean,
): string[] {
  const list: string[] = [];
  if (extra !== undefined)
    for (const k in extra) {
      if (Object.hasOwn(message, k) || k === 'user-agent' || (replies && k === 'prefer')) continue;
      list.push(k, extra[k] as string);
    }
  for (const k in message)
    if (k !== 'user-agent' && !(replies && k === 'prefer')) list.push(k, message[k] as string);
  list.push('user-agent', userAgent);
  if (replies) list.push('prefer', 'reply');
  return list;
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k in headers) {
    const v = headers[k];
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
