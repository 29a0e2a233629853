/**
 * `meshgate status` and `meshgate tail`: a running gateway seen through its admin API.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { makeEvent } from '@meshgate/core';
import { formatEvent } from '../display.js';
import { type AdminTarget, getJson, readSse } from './admin-client.js';
import type { EventJson } from './event-json.js';

const DEFAULT_URL = 'http://127.0.0.1:8080';

interface BrokerJson {
  namespace: string;
  name: string;
  channel: { kind: string; durable: boolean };
  status: { state: string; reason?: string };
  counters: { received: number; rejected: Record<string, number> };
  triggers: string[];
}

interface TriggerJson {
  namespace: string;
  name: string;
  broker: string;
  subscriber: string;
  status: { state: string; lastError?: string };
  counters: Record<string, number | undefined>;
}

function brokerRef(value: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = value.split('/');
  if (!namespace || !name || rest.length > 0) throw new InvalidArgumentError('expected <namespace>/<broker>');
  return { namespace, name };
}

/** The summary `meshgate status` prints. */
export async function statusText(target: AdminTarget): Promise<string> {
  const [ready, brokers, triggers] = await Promise.all([
    getJson<{ ready: boolean; reasons: string[] }>(target, '/api/v1/readiness', [200, 503]),
    getJson<{ items: BrokerJson[] }>(target, '/api/v1/brokers'),
    getJson<{ items: TriggerJson[] }>(target, '/api/v1/triggers'),
  ]);
  const out: string[] = [`gateway ${target.url}: ${ready.ready ? 'ready' : 'NOT READY'}`];
  for (const r of ready.reasons) out.push(`  - ${r}`);
  out.push('', `Brokers (${brokers.items.length})`);
  out.push(
    ...table(
      ['BROKER', 'CHANNEL', 'STATE', 'RECEIVED', 'REJECTED', 'TRIGGERS'],
      brokers.items.map((b) => [
        `${b.namespace}/${b.name}`,
        b.channel.kind,
        b.status.state + (b.status.reason ? ` (${b.status.reason})` : ''),
        String(b.counters.received),
        String(Object.values(b.counters.rejected).reduce((a, n) => a + n, 0)),
        String(b.triggers.length),
      ]),
    ),
  );
  out.push('', `Triggers (${triggers.items.length})`);
  out.push(
    ...table(
      [
        'TRIGGER',
        'BROKER',
        'SUBSCRIBER',
        'RECEIVED',
        'DELIVERED',
        'RETRIED',
        'DEAD',
        'FAILED',
        'DROPPED',
        'BACKLOG',
      ],
      triggers.items.map((t) => {
        const c = t.counters;
        const n = (v: number | undefined) => (v === undefined ? '-' : String(v));
        return [
          `${t.namespace}/${t.name}`,
          t.broker,
          t.subscriber,
          n(c.received),
          n(c.delivered),
          n(c.retried),
          n(c.deadLettered),
          n(c.failed),
          n(c.dropped),
          n(c.backlog),
        ];
      }),
    ),
  );
  const errors = triggers.items.filter((t) => t.status.lastError);
  if (errors.length > 0) {
    out.push('', 'Last errors');
    for (const t of errors) out.push(`  ${t.namespace}/${t.name}: ${t.status.lastError}`);
  }
  return `${out.join('\n')}\n`;
}

function table(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ['  (none)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Prints the events of a Broker's live tail until the stream ends or `signal` aborts. */
export async function tail(
  target: AdminTarget,
  broker: { namespace: string; name: string },
  options: {
    filter?: string;
    json: boolean;
    data: boolean;
    write: (text: string) => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  const q = new URLSearchParams();
  if (options.filter) q.set('cesql', options.filter);
  if (options.data || !options.json) q.set('data', 'true');
  const path = `/api/v1/brokers/${encodeURIComponent(broker.namespace)}/${encodeURIComponent(broker.name)}/events${q.size ? `?${q}` : ''}`;
  for await (const m of readSse(target, path, options.signal)) {
    if (m.event === 'dropped') {
      const { dropped } = JSON.parse(m.data) as { dropped: number };
      options.write(`meshgate: ${dropped} events dropped so far (this client is too slow)\n`);
      continue;
    }
    if (m.event !== 'cloudevent') continue;
    const e = JSON.parse(m.data) as EventJson;
    if (options.json) {
      options.write(`${JSON.stringify(e)}\n`);
    } else {
      const data = e.data ?? (e.dataBase64 ? Buffer.from(e.dataBase64, 'base64') : undefined);
      options.write(`${formatEvent(makeEvent(e.attributes, data))}\n`);
    }
  }
}

function target(opts: { url: string; token?: string }): AdminTarget {
  return { url: opts.url, token: opts.token ?? process.env.MESHGATE_ADMIN_TOKEN };
}

export function registerOpsCommands(program: Command): void {
  program
    .command('status')
    .description('a summary of a running gateway from its admin API: readiness, brokers, triggers, counters')
    .option('--url <url>', 'the gateway', DEFAULT_URL)
    .option('--token <token>', 'admin API bearer token (default: $MESHGATE_ADMIN_TOKEN)')
    .action(async (opts: { url: string; token?: string }) => {
      process.stdout.write(await statusText(target(opts)));
    });

  program
    .command('tail')
    .description("print a Broker's events as they arrive (like display), optionally filtered with CESQL")
    .argument('<namespace/broker>', 'the Broker', brokerRef)
    .option('--filter <cesql>', 'a CloudEvents SQL expression, e.g. "type LIKE \'order.%\'"')
    .option('--url <url>', 'the gateway', DEFAULT_URL)
    .option('--token <token>', 'admin API bearer token (default: $MESHGATE_ADMIN_TOKEN)')
    .option('--json', 'one JSON object per event and line', false)
    .action(
      async (
        broker: { namespace: string; name: string },
        opts: { url: string; token?: string; filter?: string; json: boolean },
      ) => {
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stderr.write(`meshgate tail ${broker.namespace}/${broker.name} on ${opts.url}\n`);
        try {
          await tail(target(opts), broker, {
            ...(opts.filter && { filter: opts.filter }),
            json: opts.json,
            data: true,
            write: (text) => process.stdout.write(text),
            signal: abort.signal,
          });
        } catch (err) {
          if (!abort.signal.aborted) throw err;
        }
      },
    );
}
