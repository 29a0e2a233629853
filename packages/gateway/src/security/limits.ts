/**
 * Size limits checked at ingress besides the body size (which each Broker sets): request header
 * bytes before the body is read, and once decoded, the number of events in a batch, the number of
 * attributes per event and the size of each attribute value.
 */
import type { MeshEvent } from '@meshgate/core';
import type { IngressRefusal } from '../http/addressables.js';

export interface IngressLimits {
  /** Bytes of all request header names and values. Default 16 KiB (node's own cap; 431). */
  maxHeaderBytes: number;
  /** Events in one batch-mode request. Default 1000 (413). */
  maxBatchSize: number;
  /** Context attributes per event, required ones included. Default 64 (400). */
  maxAttributes: number;
  /** Bytes of one attribute value. Default 4 KiB (400). */
  maxAttributeBytes: number;
}

export const DEFAULT_LIMITS: Readonly<IngressLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxBatchSize: 1000,
  maxAttributes: 64,
  maxAttributeBytes: 4096,
});

export function checkHeaderSize(raw: readonly string[], limits: IngressLimits): IngressRefusal | undefined {
  // node decodes header bytes as latin1: a string's length is its size on the wire.
  let size = 0;
  for (const part of raw) size += part.length + 2;
  if (size <= limits.maxHeaderBytes) return undefined;
  return {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    message: `request headers are over the limit of ${limits.maxHeaderBytes} bytes`,
  };
}

export function checkEventLimits(
  events: readonly MeshEvent[],
  limits: IngressLimits,
): IngressRefusal | undefined {
  if (events.length > limits.maxBatchSize)
    return {
      status: 413,
      code: 'BATCH_TOO_LARGE',
      message: `a batch of ${events.length} events is over the limit of ${limits.maxBatchSize}`,
    };
  for (const event of events) {
    const names = Object.keys(event.attributes);
    if (names.length > limits.maxAttributes)
      return {
        status: 400,
        code: 'TOO_MANY_ATTRIBUTES',
        message: `an event has ${names.length} attributes, over the limit of ${limits.maxAttributes}`,
      };
    for (const name of names) {
      const v = event.attributes[name];
      const size =
        typeof v === 'string'
          ? utf8Size(v, limits.maxAttributeBytes)
          : v instanceof Uint8Array
            ? v.byteLength
            : 0;
      if (size > limits.maxAttributeBytes)
        return {
          status: 400,
          code: 'ATTRIBUTE_TOO_LARGE',
          message: `attribute '${name}' is ${size} bytes, over the limit of ${limits.maxAttributeBytes}`,
        };
    }
  }
  return undefined;
}

/** A string's UTF-8 size, computed only when its length cannot decide against `limit` alone. */
function utf8Size(v: string, limit: number): number {
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit.
  if (v.length > limit || v.length * 3 <= limit) return v.length;
  return Buffer.byteLength(v);
}
