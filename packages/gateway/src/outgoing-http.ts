/**
 * The gateway's HTTP client for everything it sends out: deliveries (Trigger subscribers, dead
 * letters, sinks, replies), and peer links. Each target goes through the egress guard. https
 * targets are verified against node's CAs plus the Gateway's `spec.security.egress.caFile`; a
 * peer's origin gets its own client with that Peer's `spec.tls` (the CA it trusts, and the client
 * certificate presented for mTLS), so the forwarder, announcements and Bridges to that peer all
 * use it.
 */
import type { AddressableSender, SendBatchRequest, SendRequest, SendResponse } from '@meshgate/core';
import {
  type EgressOptions,
  HttpAddressableSender,
  type HttpClientTls,
  withDefaultCas,
} from '@meshgate/knative';
import type { Dispatcher } from 'undici';

/** A Peer's `spec.tls`, resolved (PEM contents). */
export interface PeerTls {
  /** CA bundle to trust for this peer, in place of the default trust. */
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  insecureSkipVerify?: boolean;
}

export interface OutgoingHttpOptions {
  egress?: EgressOptions;
  /** PEM CA bundles trusted besides node's default CAs (Gateway `spec.security.egress.caFile`). */
  extraCas?: readonly string[];
}

interface PeerClient {
  /** What the client was built from, to reuse it when a reload leaves it unchanged. */
  print: string;
  sender: HttpAddressableSender;
}

export class OutgoingHttp implements AddressableSender {
  private readonly base: HttpAddressableSender;
  private readonly defaultCa: string[] | undefined;
  private peers = new Map<string, PeerClient>();

  constructor(private readonly options: OutgoingHttpOptions = {}) {
    this.defaultCa = options.extraCas?.length ? withDefaultCas(options.extraCas) : undefined;
    this.base = this.client(this.defaultCa && { ca: this.defaultCa });
  }

  /**
   * The peers' links: requests to a peer's origin (scheme, host, port) use its TLS settings.
   * A peer without TLS settings uses the default client.
   */
  setPeers(peers: readonly { url: string; tls?: PeerTls }[]): void {
    const next = new Map<string, PeerClient>();
    for (const peer of peers) {
      if (peer.tls === undefined) continue;
      const origin = new URL(peer.url).origin;
      if (next.has(origin)) continue;
      const print = JSON.stringify(peer.tls);
      const existing = this.peers.get(origin);
      next.set(
        origin,
        existing?.print === print ? existing : { print, sender: this.client(this.peerTls(peer.tls)) },
      );
    }
    for (const [origin, client] of this.peers) {
      // In-flight requests end first; a retry after that takes the new client.
      if (next.get(origin) !== client) void client.sender.close().catch(() => undefined);
    }
    this.peers = next;
  }

  /** The client for a URL: its peer's, or the default one. */
  senderFor(url: string): HttpAddressableSender {
    if (this.peers.size === 0) return this.base;
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return this.base;
    }
    return this.peers.get(origin)?.sender ?? this.base;
  }

  /** The undici dispatcher for a URL (egress guard and TLS included), for non-event requests. */
  dispatcherFor(url: string): Dispatcher {
    return this.senderFor(url).dispatcher;
  }

  send(request: SendRequest): Promise<SendResponse> {
    return this.senderFor(request.url).send(request);
  }

  /** One request carrying several events (CloudEvents batched mode): what peer links send under load. */
  sendBatch(request: SendBatchRequest): Promise<SendResponse> {
    return this.senderFor(request.url).sendBatch(request);
  }

  async close(): Promise<void> {
    await Promise.all([this.base.close(), ...[...this.peers.values()].map((p) => p.sender.close())]);
    this.peers.clear();
  }

  private peerTls(peer: PeerTls): HttpClientTls {
    const ca = peer.ca ?? this.defaultCa;
    return {
      ...(ca !== undefined && { ca }),
      ...(peer.cert !== undefined && { cert: peer.cert }),
      ...(peer.key !== undefined && { key: peer.key }),
      ...(peer.serverName !== undefined && { servername: peer.serverName }),
      ...(peer.insecureSkipVerify && { rejectUnauthorized: false }),
    };
  }

  private client(tls: HttpClientTls | undefined): HttpAddressableSender {
    return new HttpAddressableSender({
      ...(this.options.egress && { egress: this.options.egress }),
      ...(tls && { tls }),
    });
  }
}
