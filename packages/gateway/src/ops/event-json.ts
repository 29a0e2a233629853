/** An event as JSON for the admin API, the live tail and the CLI: attributes always, data only when asked. */
import type { MeshEvent } from '@meshgate/core';

export interface EventJson {
  attributes: Record<string, string | number | boolean>;
  /** The data as text when it is UTF-8, else base64 (`dataBase64`); only when asked for. */
  data?: string;
  dataBase64?: string;
  /** Size of the data in bytes (always, so a listing shows it without the payload). */
  dataSize: number;
}

const TEXT = new TextDecoder('utf-8', { fatal: true });

export function eventJson(event: MeshEvent, withData: boolean): EventJson {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(event.attributes)) {
    attributes[k] = v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
  }
  const out: EventJson = { attributes, dataSize: event.data?.byteLength ?? 0 };
  if (withData && event.data) {
    try {
      out.data = TEXT.decode(event.data);
    } catch {
      out.dataBase64 = Buffer.from(event.data).toString('base64');
    }
  }
  return out;
}
