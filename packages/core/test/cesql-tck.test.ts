/**
 * Runs the CloudEvents CESQL v1 TCK (fixtures/cesql-tck, copied unchanged from cloudevents/spec,
 * see SOURCE.md there): one test per TCK case, named "<file> > <case>".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AttributeValue, CesqlParseError, cesqlMatches, makeEvent, parseCesql } from '../src/index.js';

interface TckCase {
  name: string;
  expression: string;
  result?: boolean | number | string;
  error?: string;
  event?: Record<string, unknown>;
  eventOverrides?: Record<string, unknown>;
}

interface TckFile {
  name: string;
  tests: TckCase[];
}

const FIXTURES = new URL('./fixtures/cesql-tck/', import.meta.url);
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** The valid event that `eventOverrides` patch when a case gives no `event`. */
const BASE_EVENT = {
  specversion: '1.0',
  id: 'tck-id',
  source: 'https://tck.example/source',
  type: 'io.cloudevents.tck',
};

/** A JSON-format event's attributes (data and data_base64 are not attributes). */
function eventOf(c: TckCase) {
  const json = c.event ?? { ...BASE_EVENT, ...c.eventOverrides };
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === 'data' || key === 'data_base64') continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`unsupported attribute value in TCK event: ${key}=${JSON.stringify(value)}`);
    }
    attributes[key] = value;
  }
  return makeEvent(attributes);
}

it('finds the TCK files', () => {
  expect(files.length).toBeGreaterThanOrEqual(18);
});

for (const file of files) {
  const suite = parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as TckFile;
  describe(`${file} (${suite.name})`, () => {
    for (const c of suite.tests) {
      it(`${file} > ${c.name}: ${c.expression}`, () => {
        if (c.error === 'parse') {
          expect(() => parseCesql(String(c.expression))).toThrow(CesqlParseError);
          return;
        }
        const expr = parseCesql(String(c.expression));
        const event = eventOf(c);
        const result = expr.evaluate(event);
        const kinds = [...new Set(result.errors.map((e) => e.kind))];
        expect(kinds).toEqual(c.error === undefined ? [] : [c.error]);
        if (c.result !== undefined) expect(result.value).toStrictEqual(c.result);
        // The allocation-free filter path must agree with the full evaluation.
        expect(cesqlMatches(expr, event)).toBe(result.value === true && result.errors.length === 0);
      });
    }
  });
}
