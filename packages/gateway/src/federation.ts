/**
 * Federation for one gateway node: wires @meshgate/core's FederationNode (interest table,
 * dedup, route rules, forwarder) to HTTP and to the federated Brokers' channels.
 *
 * - Events to a peer go to the peer's ordinary Broker ingress, `POST <peer>/<ns>/<broker>`,
 *   with `Authorization: Bearer <shared token>` and `meshgate-peer: <our id>`.
 * - A request that names a peer must carry that Peer's token (401 otherwise); its events pass
 *   `admit` (dedup, loop and hop checks) before they enter the Broker unchanged.
 * - Interest announcements: `POST /_meshgate/v1/interest` (same authentication).
 * - mTLS: when this gateway's listener asks for client certificates, a peer request must also
 *   present a verified one, naming the peer unless `verifyPeerName` is off; requests to a peer
 *   present the Peer's `spec.tls` client certificate (see OutgoingHttp).
 * - Each federated Broker has a forwarding subscription on its channel (its own progress, like a
 *   Trigger without a filter): an event is acked once every interested peer has it, and nacked
 *   while a peer is unreachable, so it waits in the channel (across restarts when durable).
 * - Forwarding waits for each peer's first announcement (up to `peerInterestWait`): until then
 *   the table does not know what the peer wants, and planning would ack its events as unwanted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import {
  Announcer,
  BatchingSender,
  type BatchingAddressableSender,
  type ChannelSubscription,
  type Delivery,
  type DeliveryTracer,
  FederationNode,
  type Logger,
  type MeshEvent,
  PeerInterestWait,
  type Router,
  resolveDeliveryPolicy,
  type TriggerFilterSpec,
  withoutTargets,
} from '@meshgate/core';
import type { Dispatcher } from 'undici';
import { readBody } from './http/body.js';
import { peerCertificateRefusal } from './http/tls.js';
import { sendError, sendFailure, sendJson } from './http/respond.js';
import type { FederationModel } from './model.js';

export const PEER_HEADER = 'meshgate-peer';
export const INTEREST_PATH = '/_meshgate/v1/interest';

/** How long a forwarding subscription waits before handing a not-yet-forwarded event out again. */
const REDELIVERY_DELAY_MS = 2_000;

/** How long forwarding waits for a peer's first announcement (`spec.federation.peerInterestWait`). */
export const DEFAULT_PEER_INTEREST_WAIT_MS = 10_000;

export class Federation {
  readonly node: FederationNode;
  private readonly announcer: Announcer;
  private readonly subscriptions = new Map<string, ChannelSubscription>();
  private readonly peerInterest: PeerInterestWait;
  private closing = false;
  private model: FederationModel;

  constructor(
    model: FederationModel,
    private readonly deps: {
      // Batched mode required: without it peer links would send every event alone (as they did
      // once, unnoticed, when a wrapper dropped sendBatch).
      sender: BatchingAddressableSender;
      router: Router;
      logger: Logger;
      /** The dispatcher for non-event requests to a peer (its TLS); default global fetch. */
      dispatcherFor?: (url: string) => Dispatcher;
      /** Peer requests must present a verified client certificate (the listener asks for one). */
      peerCertificates?: { verifyName: boolean };
      /** A span per copy forwarded to a peer. */
      tracer?: DeliveryTracer;
    },
  ) {
    this.model = model;
    const settings = model.settings;
    this.node = new FederationNode({
      gatewayId: model.id,
      ...(settings && {
        maxHops: settings.maxHops,
        interestRouting: settings.interestRouting,
        dedup: { windowMs: settings.dedupWindowMs, maxEntries: settings.dedupMaxEntries },
      }),
      // Under load, what waits for a peer goes in batches (a few requests in flight per link).
      sender: new BatchingSender(deps.sender),
      // A few quick retries per attempt; after that the event is nacked and waits in the channel.
      policy: resolveDeliveryPolicy({
        retry: 3,
        backoffPolicy: 'exponential',
        backoffDelay: 'PT0.2S',
        timeout: 'PT10S',
      }),
      peers: this.links(model),
      ...(deps.tracer && { tracer: deps.tracer }),
    });
    this.announcer = new Announcer({
      table: this.node.table,
      peers: model.peers.map((p) => p.id),
      send: (peer, announcement) => this.sendAnnouncement(peer, announcement),
      onError: (peer, err) =>
        deps.logger.warn(
          { peer, err: (err as Error).message },
          'interest announcement to peer failed; will retry',
        ),
    });
    const waitMs = settings?.peerInterestWaitMs ?? DEFAULT_PEER_INTEREST_WAIT_MS;
    this.peerInterest = new PeerInterestWait({
      heard: (peer) => this.node.table.hasHeardFrom(peer),
      waitMs,
      // Only worth a warning when there is something to forward (not with Bridges to peers alone).
      onGiveUp: (peer) =>
        deps.logger[this.model.brokers.length > 0 ? 'warn' : 'debug'](
          { peer, waitMs },
          `peer ${peer} has not announced its interest within ${waitMs} ms; forwarding as if it wanted nothing until it does`,
        ),
    });
    // Not started here: a first announcement before `apply` has set the local interest would be
    // empty, and a peer would drop (as filtered out) everything it holds for us meanwhile.
  }

  private announcing = false;

  private links(model: FederationModel) {
    return model.peers.map((p) => ({
      id: p.id,
      url: p.url,
      ...(p.token !== undefined && { token: p.token }),
      headers: { [PEER_HEADER]: model.id },
    }));
  }

  /** Applies a new model: peers, federated Brokers, and the local Triggers' interest. */
  async apply(model: FederationModel, triggerFilters: Map<string, TriggerFilterSpec[]>): Promise<void> {
    this.model = model;
    this.node.forwarder.setPeers(this.links(model));
    this.announcer.setPeers(model.peers.map((p) => p.id));
    this.peerInterest.setPeers(model.peers.map((p) => p.id));
    const interest = model.brokers.map((key) => {
      const [namespace, name] = key.split('/') as [string, string];
      return { namespace, name, filters: triggerFilters.get(key) ?? [] };
    });
    const changed = this.node.table.setLocalInterest(interest);
    if (!this.announcing) {
      this.announcing = true;
      this.announcer.start();
    } else if (changed) {
      this.announcer.changed();
    }
    // Forwarding subscriptions: one per federated Broker whose channel exists.
    for (const [key, sub] of this.subscriptions) {
      if (!model.brokers.includes(key)) {
        await sub.close();
        this.subscriptions.delete(key);
      }
    }
    for (const key of model.brokers) {
      const [namespace, name] = key.split('/') as [string, string];
      const broker = this.deps.router.broker(namespace, name);
      const existing = this.subscriptions.get(key);
      if (!broker || (existing && this.channelOf.get(key) === broker.channel)) continue;
      await existing?.close();
      const sub = await broker.channel.subscribe(
        { name: `${namespace}.${name}.meshgate-federation`, maxInFlight: 64 },
        (d) => this.forward(key, d),
      );
      this.subscriptions.set(key, sub);
      this.channelOf.set(key, broker.channel);
    }
  }

  private readonly channelOf = new Map<string, unknown>();

  private forward(key: string, delivery: Delivery): void {
    const ready = this.peerInterest.ready();
    if (ready === undefined) this.forwardNow(key, delivery);
    else
      void ready.then(() => {
        if (this.closing) delivery.nack(new Error('gateway stopping'), REDELIVERY_DELAY_MS);
        else this.forwardNow(key, delivery);
      });
  }

  private forwardNow(key: string, delivery: Delivery): void {
    this.node.forward(key, delivery.event).then(
      (result) => {
        if (result.ok || !result.retriable) delivery.ack();
        else delivery.nack(new Error('a peer did not take the event yet'), REDELIVERY_DELAY_MS);
      },
      (err: unknown) => delivery.nack(err as Error, REDELIVERY_DELAY_MS),
    );
  }

  /**
   * The peer a request says it comes from, after checking its token (and its client certificate
   * when the listener asks for one); `false` when the claim fails.
   */
  peerOf(req: IncomingMessage): string | undefined | false {
    const check = this.checkPeer(req);
    return check.refused === undefined ? check.peer : false;
  }

  /** The peer a request claims to be, or why the claim is refused (`certificate`: for its client certificate). */
  checkPeer(req: IncomingMessage): { peer?: string; refused?: string; certificate?: boolean } {
    const claimed = req.headers[PEER_HEADER];
    if (typeof claimed !== 'string') return {};
    const peer = this.model.peers.find((p) => p.id === claimed);
    if (!peer) return { refused: 'unknown peer' };
    if (peer.token !== undefined) {
      const auth = req.headers.authorization ?? '';
      const given = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7) : '');
      const expected = Buffer.from(peer.token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { refused: 'missing or wrong peer token' };
    }
    const certificates = this.deps.peerCertificates;
    if (certificates) {
      const refused = peerCertificateRefusal(req, peer.id, certificates.verifyName);
      if (refused !== undefined) return { refused, certificate: true };
    }
    return { peer: peer.id };
  }

  /**
   * Accepts events into a federated Broker: from a peer through `admit` (duplicates, loops and
   * hop-limit overruns are answered 202 and dropped), from anyone else as published here.
   */
  async ingest(
    namespace: string,
    name: string,
    events: readonly MeshEvent[],
    peer: string | undefined,
  ): Promise<void> {
    const key = `${namespace}/${name}`;
    if (peer === undefined) {
      await this.deps.router.ingest(namespace, name, events.map(withoutTargets));
      return;
    }
    const admitted: MeshEvent[] = [];
    for (const e of events) {
      const verdict = this.node.admit(key, e);
      if (verdict === 'accept') admitted.push(e);
      else if (verdict !== 'duplicate')
        this.deps.logger.debug({ peer, broker: key, id: e.attributes.id, verdict }, 'peer event dropped');
    }
    if (admitted.length === 0) return;
    try {
      await this.deps.router.ingest(namespace, name, admitted);
    } catch (err) {
      for (const e of admitted) this.node.release(key, e);
      throw err;
    }
  }

  isFederated(namespace: string, name: string): boolean {
    return this.model.brokers.includes(`${namespace}/${name}`);
  }

  /** `POST /_meshgate/v1/interest`: a peer's interest announcement. */
  async handleAnnouncement(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { peer, refused, certificate } = this.checkPeer(req);
    if (!peer) {
      req.resume();
      this.deps.logger.warn(
        { claimed: req.headers[PEER_HEADER], reason: refused ?? 'no meshgate-peer header' },
        certificate
          ? 'interest announcement refused: no verified client certificate of the peer'
          : 'interest announcement refused: unknown peer or bad token',
      );
      return sendError(res, 401, 'UNAUTHENTICATED', 'peer credentials missing or invalid', {
        'www-authenticate': 'Bearer',
      });
    }
    try {
      const body = JSON.parse((await readBody(req, 4 * 1024 * 1024)).toString('utf8')) as unknown;
      const result = this.node.table.applyAnnouncement(body, peer);
      if (result.changed) this.announcer.changed();
      this.peerInterest.heard();
      sendJson(res, 200, { applied: result.applied, refusedPaths: result.refusedPaths });
    } catch (err) {
      if (err instanceof SyntaxError)
        return sendError(res, 400, 'EVENT_INVALID', `announcement is not JSON: ${err.message}`);
      sendFailure(res, err);
    }
  }

  private async sendAnnouncement(peerId: string, announcement: unknown): Promise<void> {
    const peer = this.model.peers.find((p) => p.id === peerId);
    if (!peer) return;
    const url = new URL(INTEREST_PATH, peer.url);
    const headers = {
      'content-type': 'application/json',
      [PEER_HEADER]: this.model.id,
      ...(peer.token !== undefined && { authorization: `Bearer ${peer.token}` }),
    };
    const body = JSON.stringify(announcement);
    const signal = AbortSignal.timeout(10_000);
    let status: number;
    if (this.deps.dispatcherFor) {
      // The peer's own client: its CA, its client certificate, the egress guard.
      const res = await this.deps
        .dispatcherFor(url.href)
        .request({ origin: url.origin, path: url.pathname, method: 'POST', headers, body, signal });
      await res.body.dump();
      status = res.statusCode;
    } else {
      const res = await fetch(url, { method: 'POST', headers, body, signal });
      await res.arrayBuffer();
      status = res.status;
    }
    if (status < 200 || status >= 300)
      throw new Error(`peer ${peerId} answered ${status} to an interest announcement`);
  }

  /** Peers with their counters, for the admin API and metrics. */
  peers() {
    return this.model.peers.map((p) => ({
      id: p.id,
      url: p.url,
      // False until the peer's first announcement in this run: what it wants is not known yet.
      interestKnown: this.node.table.hasHeardFrom(p.id),
      counters: this.node.forwarder.counters(p.id),
    }));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.peerInterest.release();
    this.announcer.stop();
    for (const sub of this.subscriptions.values()) await sub.close();
    this.subscriptions.clear();
  }
}
