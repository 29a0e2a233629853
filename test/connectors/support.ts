/**
 * Helpers for the connector end-to-end tests: gateway configs from the YAML templates in
 * test/fixtures/connectors (`${name}` placeholders), `meshgate start` as a process, and a cheap
 * way to follow a busy subscriber's requests.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Proc, startMeshgate, type Subscriber } from '../support/processes.js';

const fixtures = fileURLToPath(new URL('../fixtures/connectors/', import.meta.url));

/** Writes the template `name` with its `${var}` placeholders filled to a temporary file. */
export function renderConfig(name: string, vars: Record<string, string>): string {
  const text = readFileSync(join(fixtures, name), 'utf8').replace(/\$\{(\w+)\}/g, (_m, v: string) => {
    const value = vars[v];
    if (value === undefined) throw new Error(`${name}: no value for \${${v}}`);
    return value;
  });
  const file = join(mkdtempSync(join(tmpdir(), 'meshgate-connectors-')), name);
  writeFileSync(file, text);
  return file;
}

export interface RunningGateway {
  proc: Proc;
  url: string;
}

/**
 * `meshgate start -f <file> --port 0`, resolved once it logged `meshgate started`. `env` adds to
 * (or overrides) the process environment, e.g. the variables secrets are read from.
 */
export async function startGateway(
  file: string,
  port = '0',
  env: Record<string, string> = {},
): Promise<RunningGateway> {
  const proc = startMeshgate(['start', '-f', file, '--port', port], { MESHGATE_LOG_LEVEL: 'info', ...env });
  const m = await proc.waitFor(/"url":"(http:\/\/[^"]+)".*"msg":"meshgate started"/, 60_000);
  return { proc, url: m[1] as string };
}

/**
 * Follows a subscriber's requests by their `ce-id` header, reading only new lines on each call
 * (the subscriber prints one JSON line per request; parsing 10,000 of them again and again is slow).
 */
export class RequestTally {
  private read = 0;
  /** Answered with a 2xx: how many times per id. */
  readonly ids = new Map<string, number>();
  /** Every request, failed ones included. */
  requests = 0;

  constructor(private readonly subscriber: Subscriber) {}

  update(): this {
    const lines = this.subscriber.lines;
    for (; this.read < lines.length; this.read++) {
      const line = lines[this.read] as string;
      if (!line.startsWith('{')) continue;
      const m = line.match(/"ce-id":"([^"]*)"/);
      if (!m) continue;
      this.requests++;
      const status = Number(line.match(/"status":(\d+)/)?.[1]);
      if (status < 200 || status > 299) continue;
      this.delivered++;
      const id = m[1] as string;
      this.ids.set(id, (this.ids.get(id) ?? 0) + 1);
    }
    return this;
  }

  /** Requests answered with a 2xx. */
  delivered = 0;

  /** Successful deliveries beyond the first per id. */
  get duplicates(): number {
    return this.delivered - this.ids.size;
  }

  /** Resolves once `check` holds, polling; rejects after `timeoutMs` saying what was seen. */
  async until(check: (t: this) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.update())) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}: ${this.ids.size} distinct ids delivered, ${this.requests} requests`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POSTs a binary-mode CloudEvent. */
export function postEvent(url: string, id: string, type: string, json: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': type,
      'ce-source': '/e2e/http',
      'content-type': 'application/json',
    },
    body: json,
  });
}
