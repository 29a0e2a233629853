/**
 * Reads a request body with a size limit, so an oversized or endless body never fills memory.
 * Unlike @meshgate/knative's readBody, an oversized body is drained rather than destroyed, so
 * the client gets its 413 answer instead of a reset connection.
 */
import type { IncomingMessage } from 'node:http';
import { MeshgateError } from '@meshgate/core';
import { PayloadTooLargeError } from '@meshgate/knative';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(
      new PayloadTooLargeError(`body of ${declared} bytes is over the limit of ${limit} bytes`, limit),
    );
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // drain without keeping it
        reject(new PayloadTooLargeError(`body is over the limit of ${limit} bytes`, limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('aborted', () => reject(new MeshgateError('EVENT_INVALID', 'client aborted the request')));
  });
}
