/**
 * What the fuzzers feed and to what: every parser that reads bytes from outside (the HTTP binding,
 * the connector binding decoders, the CESQL parser, the config loader). The property is the same
 * for each: any input gives a result or a typed MeshgateError, never another error (a crash in
 * production) or a hang. Shared by the bounded run in `npm test` (test/security.fuzz.test.ts)
 * and the long run (bench/security/fuzz.ts).
 */
import { MeshgateError, parseCesql, parseConfigText } from '@meshgate/core';
import { recordToEvent } from '@meshgate/kafka';
import { decodeHttpRequest } from '@meshgate/knative';
import { fromNatsMessage } from '@meshgate/nats';
import { decodePubSubMessage } from '@meshgate/pubsub';
import { fromAmqpMessage } from '@meshgate/rabbitmq';
import fc from 'fast-check';

export interface FuzzTarget {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: each target has its own input shape
  input: fc.Arbitrary<any>;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  run(input: any): unknown;
}

/** Runs `fn`: true when it returned, false when it threw a MeshgateError; rethrows anything else. */
export function resultOrTypedError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof MeshgateError) return false;
    throw err;
  }
}

const ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
];
const CONTENT_TYPES = [
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents+json; charset=utf-8',
  'application/cloudevents-batch+json',
  'application/cloudevents+avro',
  'APPLICATION/CLOUDEVENTS+JSON',
  'text/plain',
  'application/octet-stream',
  '',
  ';;;',
  'application/cloudevents',
];

/** Strings that parsers find interesting, mixed with arbitrary ones. */
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    '1.0',
    '0.3',
    '',
    ' ',
    '\u0000',
    '%',
    '%zz',
    '%E2%82',
    '2020-13-45T99:99:99Z',
    'null',
    '{}',
    '[]',
  ),
);
const attributeName = fc.oneof(fc.constantFrom(...ATTRIBUTES, 'data', 'data_base64', 'ext1'), fc.string());
const jsonValue = fc.oneof(fc.jsonValue(), text, fc.integer(), fc.boolean(), fc.constant(null));

/** A structured-mode-looking object: mostly valid attributes, some wrong types, random extras. */
const structuredObject = fc.record(
  {
    specversion: fc.oneof(fc.constant('1.0'), jsonValue),
    id: fc.oneof(fc.string({ minLength: 1 }), jsonValue),
    source: fc.oneof(fc.constant('/src'), jsonValue),
    type: fc.oneof(fc.constant('t'), jsonValue),
    time: fc.oneof(fc.constant('2024-01-01T00:00:00Z'), jsonValue),
    data: jsonValue,
    data_base64: fc.oneof(fc.base64String(), jsonValue),
    datacontenttype: fc.oneof(fc.constantFrom(...CONTENT_TYPES), jsonValue),
    extra: fc.dictionary(fc.string(), jsonValue, { maxKeys: 4 }),
  },
  { requiredKeys: [] },
);

/** Bodies: random bytes, JSON, structured events, batches, truncated JSON. */
export const body = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  jsonValue.map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  structuredObject.map((o) => Buffer.from(JSON.stringify(o))),
  fc
    .array(fc.oneof(structuredObject, jsonValue), { maxLength: 5 })
    .map((a) => Buffer.from(JSON.stringify(a))),
  structuredObject.chain((o) => {
    const s = JSON.stringify(o);
    return fc.nat(s.length).map((n) => Buffer.from(s.slice(0, n)));
  }),
);

/** HTTP-like headers: ce- attributes, content types, random names; lower-case as node gives them. */
export const httpHeaders = fc
  .record({
    ce: fc.dictionary(attributeName, text, { maxKeys: 8 }),
    contentType: fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.string()), { nil: undefined }),
    other: fc.dictionary(fc.string(), text, { maxKeys: 3 }),
    multi: fc.boolean(),
  })
  .map(({ ce, contentType, other, multi }) => {
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(other)) h[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(ce)) h[`ce-${k.toLowerCase()}`] = multi ? [v, v] : v;
    if (contentType !== undefined) h['content-type'] = contentType;
    return h;
  });

const kafkaHeaderValue = fc.oneof(
  text.map((s) => Buffer.from(s)),
  text,
  fc.constant(undefined),
  fc.array(
    text.map((s) => Buffer.from(s)),
    { maxLength: 2 },
  ),
);

const CESQL_TOKENS = [
  'TRUE',
  'FALSE',
  'NOT',
  'AND',
  'OR',
  'XOR',
  'LIKE',
  'IN',
  'EXISTS',
  'type',
  'source',
  'subject',
  'myext',
  "'abc'",
  '"x"',
  "'%a_'",
  '1',
  '-1',
  '2147483648',
  '0',
  '(',
  ')',
  ',',
  '=',
  '!=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  'ABS',
  'LENGTH',
  'CONCAT',
  'SUBSTRING',
  'UPPER',
  'INT',
  'BOOL',
  'STRING',
  'IS_INT',
  "'\\'",
  "''",
  '\\',
  ' ',
  '\t',
  '\n',
];

/**
 * Every target. `hugeTimestamps` lets AMQP `timestamp` properties go past what a Date holds
 * (amqplib decodes any 64-bit value): fromAmqpMessage threw a RangeError on them when this fuzzer
 * was written; the bounded test leaves them out until that is fixed, the long run keeps them.
 */
export function fuzzTargets(options: { hugeTimestamps: boolean }): FuzzTarget[] {
  const amqpTimestamp = options.hugeTimestamps
    ? fc.anything()
    : fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.constant(undefined), fc.string());
  return [
    {
      name: 'http binding (decodeHttpRequest)',
      input: fc.tuple(httpHeaders, body),
      run: ([headers, bytes]) => decodeHttpRequest(headers, bytes),
    },
    {
      name: 'kafka binding (recordToEvent)',
      input: fc.record({
        key: fc.option(
          fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
          { nil: null },
        ),
        value: fc.option(body, { nil: null }),
        headers: fc.option(
          fc
            .record({
              ce: fc.dictionary(attributeName, kafkaHeaderValue, { maxKeys: 8 }),
              contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
            })
            .map(({ ce, contentType }) => {
              const h: Record<string, unknown> = {};
              for (const [k, v] of Object.entries(ce)) h[`ce_${k}`] = v;
              if (contentType !== undefined) h['content-type'] = Buffer.from(contentType);
              return h;
            }),
          { nil: undefined },
        ),
        timestamp: fc.oneof(fc.constant('1700000000000'), fc.string()),
        offset: fc.oneof(fc.constant('0'), fc.string()),
      }),
      run: (r) =>
        recordToEvent(
          {
            topic: 'fuzz',
            partition: 0,
            offset: r.offset,
            key: r.key,
            value: r.value,
            headers: r.headers,
            timestamp: r.timestamp,
          },
          { namespace: 'ns', name: 'src' },
        ),
    },
    {
      name: 'rabbitmq binding (fromAmqpMessage)',
      input: fc.record({
        content: body,
        properties: fc.record(
          {
            contentType: fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.anything()),
            messageId: fc.anything(),
            timestamp: amqpTimestamp,
            headers: fc.option(
              fc.dictionary(
                fc.oneof(
                  attributeName.map((a) => `ce-${a}`),
                  fc.string(),
                ),
                fc.anything(),
              ),
              {
                nil: undefined,
              },
            ),
          },
          { requiredKeys: [] },
        ),
      }),
      run: (msg) => fromAmqpMessage(msg, { sourceName: 'src', queue: 'q' }),
    },
    {
      name: 'nats binding (fromNatsMessage)',
      input: fc.record({
        subject: fc.string(),
        data: body.map((b) => new Uint8Array(b)),
        headers: fc.option(
          fc.tuple(httpHeaders, fc.boolean()).map(([h, upper]) => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(h))
              out[upper ? k.toUpperCase() : k] = Array.isArray(v) ? v.join(',') : v;
            return out;
          }),
          { nil: undefined },
        ),
      }),
      run: (msg) => fromNatsMessage(msg, { sourceName: 'src' }),
    },
    {
      name: 'pubsub binding (decodePubSubMessage)',
      input: fc.record({
        id: fc.string(),
        data: body,
        attributes: fc.dictionary(
          fc.oneof(
            attributeName.map((a) => `ce-${a}`),
            attributeName,
            fc.string(),
          ),
          text,
          {
            maxKeys: 8,
          },
        ),
        orderingKey: fc.option(fc.string(), { nil: undefined }),
      }),
      run: (msg) => decodePubSubMessage(msg),
    },
    {
      name: 'CESQL parser (parseCesql)',
      input: fc.oneof(
        fc.string(),
        fc.array(fc.constantFrom(...CESQL_TOKENS), { maxLength: 24 }).map((t) => t.join(' ')),
        fc.array(fc.constantFrom(...CESQL_TOKENS), { maxLength: 24 }).map((t) => t.join('')),
        fc.nat(200).map((n) => `${'('.repeat(n)}TRUE${')'.repeat(n)}`),
        fc.nat(200).map((n) => `${'NOT '.repeat(n)}TRUE`),
      ),
      run: (t) => parseCesql(t),
    },
    {
      name: 'config loader (parseConfigText)',
      input: fc.oneof(
        fc.string(),
        fc
          .array(
            fc.oneof(
              fc.constantFrom(
                'apiVersion: eventing.knative.dev/v1',
                'apiVersion: meshgate.io/v1alpha1',
                'kind: Broker',
                'kind: Trigger',
                'kind: Gateway',
                'metadata:',
                '  name: x',
                '  namespace: ns',
                'spec:',
                '  broker: x',
                '  subscriber:',
                '    uri: http://127.0.0.1/',
                '  filters:',
                '  - cesql: "type = \'a\'"',
                '---',
                '- a',
                '&a [*a]',
                '{',
                ': :',
                '  security: {}',
              ),
              fc.string(),
            ),
            { maxLength: 16 },
          )
          .map((lines) => lines.join('\n')),
      ),
      run: (t) => parseConfigText(t, 'fuzz.yaml', { env: {} }),
    },
  ];
}
