import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topLevelElementSpans, topLevelMemberSpan } from './json-member.js';

const slice = (text: string, span: [number, number] | undefined) =>
  span === undefined ? undefined : text.slice(span[0], span[1]);

describe('topLevelMemberSpan', () => {
  it('finds the exact text of a member, whatever it holds', () => {
    const text = '{ "a" : "x\\"}" , "data" :\n {"big": 12345678901234567890, "s": "]}\\\\"} , "z": [1]}';
    expect(slice(text, topLevelMemberSpan(text, 'data'))).toBe(
      '{"big": 12345678901234567890, "s": "]}\\\\"}',
    );
    expect(slice(text, topLevelMemberSpan(text, 'z'))).toBe('[1]');
    expect(topLevelMemberSpan(text, 'missing')).toBeUndefined();
  });

  it('takes the last of duplicate members (as JSON.parse does) and decodes escaped keys', () => {
    expect(slice('{"data":1,"data":2}', topLevelMemberSpan('{"data":1,"data":2}', 'data'))).toBe('2');
    const escaped = '{"d\\u0061ta":true}';
    expect(slice(escaped, topLevelMemberSpan(escaped, 'data'))).toBe('true');
    expect(topLevelMemberSpan('[1]', 'data')).toBeUndefined();
    expect(topLevelMemberSpan('{}', 'data')).toBeUndefined();
  });

  it('agrees with JSON.parse on any object, compact or indented', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue()),
        fc.jsonValue(),
        fc.boolean(),
        (rest, data, indent) => {
          const obj = { ...rest, data };
          const text = JSON.stringify(obj, null, indent ? 2 : undefined);
          const parsed = JSON.parse(text) as Record<string, unknown>;
          const raw = slice(text, topLevelMemberSpan(text, 'data'));
          expect(raw).toBeDefined();
          expect(JSON.parse(raw as string)).toEqual(parsed.data);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('topLevelElementSpans', () => {
  it('splits a JSON array into its elements', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 6 }), fc.boolean(), (items, indent) => {
        const text = JSON.stringify(items, null, indent ? 1 : undefined);
        const spans = topLevelElementSpans(text);
        expect(spans.map((s) => JSON.parse(text.slice(s[0], s[1])))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
    expect(topLevelElementSpans('{}')).toEqual([]);
  });
});
