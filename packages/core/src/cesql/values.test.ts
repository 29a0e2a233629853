import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EvalContext,
  fromAttribute,
  parseInteger,
  toBoolean,
  toCesqlString,
  toInteger,
} from './values.js';

const context = (): EvalContext => ({ errorCount: 0, errors: [] });

/** Reference String → Integer: optional sign, digits, within the 32-bit range. */
function referenceParse(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= -2147483648 && value <= 2147483647 ? value | 0 : undefined;
}

describe('String → Integer (spec §3.7)', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+12', 12],
    ['007', 7],
    ['2147483647', 2147483647],
    ['-2147483648', -2147483648],
    ['2147483648', undefined],
    ['-2147483649', undefined],
    ['00000000000000000000001', 1],
    ['', undefined],
    ['-', undefined],
    ['+-1', undefined],
    [' 1', undefined],
    ['1 ', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['1.0', undefined],
    ['١٢', undefined],
  ])('%j is %s', (text, expected) => {
    expect(parseInteger(text)).toBe(expected);
  });

  it('agrees with a reference on random digit strings', () => {
    const text = fc
      .array(fc.constantFrom('0', '1', '2', '4', '7', '9', '-', '+', ' ', 'a'), { maxLength: 14 })
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.oneof(text, fc.integer().map(String), fc.string()), (t) => {
        expect(parseInteger(t)).toBe(referenceParse(t));
      }),
      { numRuns: 1000 },
    );
  });

  it('reports a cast error and yields 0 when the string is not an integer', () => {
    const ctx = context();
    expect(toInteger('abc', ctx)).toBe(0);
    expect(ctx.errors?.map(String)).toEqual(["cast: cannot cast String 'abc' to Integer"]);
    expect(toInteger(true, ctx)).toBe(1);
    expect(toInteger(false, ctx)).toBe(0);
    expect(ctx.errorCount).toBe(1);
  });
});

describe('casts to Boolean and String', () => {
  it('reads "true"/"false" in any case, nothing else', () => {
    const ctx = context();
    expect(toBoolean('TrUe', ctx)).toBe(true);
    expect(toBoolean('FALSE', ctx)).toBe(false);
    expect(ctx.errorCount).toBe(0);
    expect(toBoolean('yes', ctx)).toBe(false);
    expect(toBoolean('1', ctx)).toBe(false);
    expect(ctx.errorCount).toBe(2);
  });

  it('casts Integer to Boolean only explicitly (BOOL), implicitly it is a cast error', () => {
    const ctx = context();
    expect(toBoolean(-50, ctx, true)).toBe(true);
    expect(toBoolean(0, ctx, true)).toBe(false);
    expect(ctx.errorCount).toBe(0);
    expect(toBoolean(10, ctx)).toBe(false);
    expect(ctx.errors?.map((e) => e.kind)).toEqual(['cast']);
  });

  it('writes integers in base 10 and booleans in lower case', () => {
    expect(toCesqlString(-42)).toBe('-42');
    expect(toCesqlString(true)).toBe('true');
    expect(toCesqlString('x')).toBe('x');
  });

  it('counts errors without building messages when none are wanted', () => {
    const ctx: EvalContext = { errorCount: 0, errors: undefined };
    toInteger('x', ctx);
    toBoolean('x', ctx);
    expect(ctx.errorCount).toBe(2);
  });
});

describe('attribute values (spec §3.2)', () => {
  it('keeps booleans, strings and 32-bit integers; everything else becomes a String', () => {
    expect(fromAttribute(true)).toBe(true);
    expect(fromAttribute('x')).toBe('x');
    expect(fromAttribute(-7)).toBe(-7);
    expect(fromAttribute(2147483648)).toBe('2147483648');
    expect(fromAttribute(0.5)).toBe('0.5');
    expect(fromAttribute(new Uint8Array([255]))).toBe('/w==');
  });
});
