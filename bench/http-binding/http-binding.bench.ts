/**
 * The CloudEvents HTTP binding: meshgate's codec against the cloudevents SDK (the baseline), per
 * event, for a small JSON event. Run: `npx tsx bench/http-binding/http-binding.bench.ts`
 * (it re-runs itself with `--conditions=meshgate-source` so that packages resolve to src).
 *
 * Each case runs a warm-up, then 5 timed rounds; the median round is reported. Keep it short:
 * the machine is shared.
 */
import { spawnSync } from 'node:child_process';

if (!process.execArgv.some((a) => a.includes('meshgate-source'))) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=meshgate-source', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}

const { CloudEvent, HTTP } = await import('cloudevents');
const { makeEvent, withAttributes } = await import('@meshgate/core');
const { decodeHttpRequest, encodeHttpBinary, encodeHttpStructured } = await import('@meshgate/knative');

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);
const ROUNDS = 5;

/**
 * Median nanoseconds per call of each function over ROUNDS rounds of ITERATIONS calls. The two
 * sides alternate round by round so that load from other processes hits both alike.
 */
function measure(ours: () => unknown, sdk: () => unknown): { ours: number; sdk: number } {
  let sink: unknown;
  const round = (fn: () => unknown) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) sink = fn();
    return Number(process.hrtime.bigint() - start) / ITERATIONS;
  };
  for (let i = 0; i < ITERATIONS / 4; i++) sink = [ours(), sdk()];
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(round(ours));
    b.push(round(sdk));
  }
  if (sink === Symbol.for('never')) console.log(sink);
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  return { ours: median(a), sdk: median(b) };
}

const attributes = {
  specversion: '1.0',
  id: 'c6a1f5b0-3d2e-4a8b-9f4e-1b2c3d4e5f60',
  source: '/apis/v1/namespaces/default/orders',
  type: 'com.example.order.created',
  time: '2024-05-01T12:00:00.000Z',
  datacontenttype: 'application/json',
  subject: 'order-1234',
};
const data = JSON.stringify({
  orderId: 1234,
  customer: 'ACME',
  items: [{ sku: 'A-1', qty: 2 }],
  total: 42.5,
});
const dataBytes = Buffer.from(data);

const meshEvent = makeEvent(attributes, dataBytes);
const sdkEvent = new CloudEvent({ ...attributes, data: JSON.parse(data) });

// What node:http hands a server: lower-case headers and the body as a Buffer.
const binaryHeaders: Record<string, string> = {};
for (const [k, v] of Object.entries(HTTP.binary(sdkEvent).headers)) binaryHeaders[k] = String(v);
const structuredMessage = encodeHttpStructured(meshEvent);
const structuredBody = Buffer.from(structuredMessage.body ?? []);
const structuredText = structuredBody.toString('utf8');

interface Row {
  name: string;
  ours: number;
  sdk: number;
}
const rows: Row[] = [
  {
    name: 'decode binary (toEvent)',
    ...measure(
      () => decodeHttpRequest(binaryHeaders, dataBytes),
      () => HTTP.toEvent({ headers: binaryHeaders, body: dataBytes }),
    ),
  },
  {
    name: 'encode binary (HTTP.binary)',
    ...measure(
      () => encodeHttpBinary(meshEvent),
      () => HTTP.binary(sdkEvent),
    ),
  },
  {
    name: 'decode structured',
    ...measure(
      () => decodeHttpRequest(structuredMessage.headers, structuredBody),
      // The SDK reads a structured body only from a string.
      () => HTTP.toEvent({ headers: structuredMessage.headers, body: structuredText }),
    ),
  },
  {
    name: 'encode structured',
    ...measure(
      () => encodeHttpStructured(meshEvent),
      () => HTTP.structured(sdkEvent),
    ),
  },
  {
    name: 'relay hop: decode binary + add extension + encode binary',
    ...measure(
      () => {
        const [e] = decodeHttpRequest(binaryHeaders, dataBytes).events;
        return encodeHttpBinary(
          withAttributes(e as typeof meshEvent, { knativearrivaltime: attributes.time }),
        );
      },
      () => {
        const e = HTTP.toEvent({ headers: binaryHeaders, body: dataBytes }) as InstanceType<
          typeof CloudEvent
        >;
        return HTTP.binary(e.cloneWith({ knativearrivaltime: attributes.time }));
      },
    ),
  },
];

console.log(
  `HTTP binding, small JSON event (${dataBytes.length} B data), ${ITERATIONS} calls x ${ROUNDS} rounds, median`,
);
console.log(
  `${'case'.padEnd(58)} ${'meshgate'.padStart(10)} ${'SDK'.padStart(10)} ${'SDK/ours'.padStart(9)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(58)} ${`${(r.ours / 1000).toFixed(2)} us`.padStart(10)} ${`${(r.sdk / 1000).toFixed(2)} us`.padStart(10)} ${`${(r.sdk / r.ours).toFixed(1)}x`.padStart(9)}`,
  );
}
