/**
 * `meshgate display`: an event-display sink like Knative's `event_display`. Prints every
 * CloudEvent it receives (binary, structured or batch) and answers 202.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MeshEvent } from '@meshgate/core';
import { decodeHttpRequest } from '@meshgate/knative';
import { readBody } from './http/body.js';
import { sendEmpty, sendError, sendFailure } from './http/respond.js';

export interface DisplayOptions {
  port: number;
  host: string;
  /** One JSON object per line instead of the human-readable block (for scripts and tests). */
  json: boolean;
  write?: (text: string) => void;
}

export async function startDisplay(options: DisplayOptions): Promise<{ server: Server; url: string }> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'POST CloudEvents here', { allow: 'POST' });
    }
    readBody(req, 16 * 1024 * 1024)
      .then((body) => {
        const { events } = decodeHttpRequest(req.headers, body);
        for (const e of events) write(options.json ? `${JSON.stringify(toJson(e))}\n` : formatEvent(e));
        sendEmpty(res, 202);
      })
      .catch((err: unknown) => {
        write(`! refused a request: ${(err as Error).message}\n`);
        sendFailure(res, err);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return { server, url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${addr.port}` };
}

const CORE = ['specversion', 'type', 'source', 'subject', 'id', 'time', 'dataschema', 'datacontenttype'];

/** The same layout as Knative's event_display (cloudevents sdk-go's String()). */
export function formatEvent(event: MeshEvent): string {
  const lines = ['☁️  cloudevents.Event', 'Context Attributes,'];
  for (const name of CORE) {
    const v = event.attributes[name];
    if (v !== undefined) lines.push(`  ${name}: ${attr(v)}`);
  }
  const ext = Object.keys(event.attributes)
    .filter((k) => !CORE.includes(k))
    .sort();
  if (ext.length > 0) {
    lines.push('Extensions,');
    for (const k of ext)
      lines.push(`  ${k}: ${attr(event.attributes[k] as MeshEvent['attributes'][string])}`);
  }
  if (event.data !== undefined) {
    lines.push('Data,');
    lines.push(`  ${dataText(event)}`);
  }
  return `${lines.join('\n')}\n`;
}

function attr(v: string | number | boolean | Uint8Array): string {
  return v instanceof Uint8Array ? Buffer.from(v).toString('base64') : String(v);
}

function dataText(event: MeshEvent): string {
  const data = Buffer.from(event.data as Uint8Array);
  const ct = String(event.attributes.datacontenttype ?? 'application/json');
  if (/json/i.test(ct)) {
    try {
      return JSON.stringify(JSON.parse(data.toString('utf8')), null, 2).replaceAll('\n', '\n  ');
    } catch {
      // fall through: show what came
    }
  }
  if (/^text\/|json|xml/i.test(ct)) return data.toString('utf8');
  return `(${data.length} bytes, base64) ${data.toString('base64')}`;
}

/** JSON view: attributes plus data as text when it is UTF-8, else `data_base64`. */
export function toJson(event: MeshEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event.attributes))
    out[k] = v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
  if (event.data !== undefined) out.data_base64 = Buffer.from(event.data).toString('base64');
  return out;
}

export async function stopServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
