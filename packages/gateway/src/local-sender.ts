/**
 * Delivers to this gateway's own Brokers and Sinks in-process, and to everything else over
 * HTTP. A Trigger whose subscriber is a KafkaSink on the same gateway, or a Source feeding a
 * local Broker, then costs no HTTP hop, with the same answers the HTTP ingress would give
 * (202 once safe; 400, 404, 429, 503 otherwise), so the delivery engine retries the same way.
 */
import type { AddressableSender, SendRequest, SendResponse } from '@meshgate/core';
import { errorResponse } from '@meshgate/knative';
import type { AddressableLookup } from './http/addressables.js';

export class LocalFirstSender implements AddressableSender {
  private selfOrigin: string | undefined;

  constructor(
    private readonly remote: AddressableSender,
    private readonly lookup: AddressableLookup,
  ) {}

  /** Set once the server listens: URLs under it are served in-process. */
  setSelfUrl(url: string): void {
    this.selfOrigin = new URL(url).origin;
  }

  send(request: SendRequest): Promise<SendResponse> {
    // Not async for the remote case: one promise less per delivery on the hot path.
    let local: ReturnType<LocalFirstSender['localTarget']>;
    try {
      local = this.localTarget(request.url);
    } catch (err) {
      return Promise.reject(err); // a malformed URL under our own origin
    }
    if (!local) return this.remote.send(request);
    return this.sendLocal(local, request);
  }

  private async sendLocal(
    local: NonNullable<ReturnType<LocalFirstSender['localTarget']>>,
    request: SendRequest,
  ): Promise<SendResponse> {
    try {
      await local.accept([request.event]);
      return { status: 202, headers: {} };
    } catch (err) {
      const r = errorResponse(err);
      return { status: r.status, headers: r.headers, ...(r.body && { body: r.body.subarray(0, 1024) }) };
    }
  }

  private localTarget(url: string) {
    if (!this.selfOrigin || !url.startsWith(this.selfOrigin)) return undefined;
    const parts = new URL(url).pathname.split('/');
    if (parts.length !== 3 || !parts[1] || !parts[2]) return undefined;
    return this.lookup.addressable(decodeURIComponent(parts[1]), decodeURIComponent(parts[2]));
  }
}
