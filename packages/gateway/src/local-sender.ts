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
  private readonly paths = new Map<string, readonly [string, string] | null>();

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
    const path = this.namespaceAndName(url);
    // The Addressable is looked up on every send: a reload may replace or remove it.
    return path === null ? undefined : this.lookup.addressable(path[0], path[1]);
  }

  /**
   * `/<namespace>/<name>` of a URL under our origin, or null for any other path. Parsed once
   * per URL: a Source or Trigger sends to the same few URLs for every event.
   */
  private namespaceAndName(url: string): readonly [string, string] | null {
    const known = this.paths.get(url);
    if (known !== undefined) return known;
    const parts = new URL(url).pathname.split('/');
    const path =
      parts.length === 3 && parts[1] && parts[2]
        ? ([decodeURIComponent(parts[1]), decodeURIComponent(parts[2])] as const)
        : null;
    if (this.paths.size >= MAX_CACHED_PATHS) this.paths.clear();
    this.paths.set(url, path);
    return path;
  }
}

/** URLs whose parsed path is kept; past it the cache starts over (URLs come from config). */
const MAX_CACHED_PATHS = 1024;
