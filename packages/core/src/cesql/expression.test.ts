import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AttributeValue, makeEvent } from '../event/mesh-event.js';
import { CesqlParseError } from './errors.js';
import { type CesqlExpression, cesqlMatches, parseCesql } from './expression.js';

const BASE = { specversion: '1.0', id: 'e-1', source: '/orders', type: 'com.example.order.created' };
const event = (extra: Record<string, AttributeValue> = {}) => makeEvent({ ...BASE, ...extra });

function run(text: string, extra: Record<string, AttributeValue> = {}) {
  const result = parseCesql(text).evaluate(event(extra));
  return { value: result.value, errors: result.errors.map((e) => e.kind) };
}

describe('parseCesql', () => {
  it('keeps the text and lists the attributes read, EXISTS and unknown-function arguments included', () => {
    const expr = parseCesql("type LIKE 'a%' AND (EXISTS Subject OR INT(hop) < ttl) AND NOPE(region)");
    expect(expr.text).toBe("type LIKE 'a%' AND (EXISTS Subject OR INT(hop) < ttl) AND NOPE(region)");
    expect([...expr.attributes].sort()).toEqual(['hop', 'region', 'subject', 'ttl', 'type']);
  });

  it('reports calls to unknown functions at parse time, and again at each evaluation', () => {
    const expr = parseCesql('NOPE(1) OR CONCAT_WS() OR LENGTH(1, 2)');
    expect(expr.staticErrors.map((e) => e.kind)).toEqual([
      'missingFunction',
      'missingFunction',
      'missingFunction',
    ]);
    expect(expr.staticErrors[0]!.message).toMatch(/no function NOPE takes 1 argument \(line 1, column 1\)/);
    expect(parseCesql('LENGTH(a)').staticErrors).toEqual([]);
    expect(run('NOPE(1)')).toEqual({ value: false, errors: ['missingFunction'] });
  });

  it('throws CesqlParseError, a MeshgateError with code CESQL_PARSE', () => {
    expect(() => parseCesql('a =')).toThrow(CesqlParseError);
    expect(() => parseCesql('a =')).toThrow(/line 1, column 4/);
  });
});

describe('evaluation', () => {
  it('reads attributes with their type, other values as strings', () => {
    expect(run('flag', { flag: true })).toEqual({ value: true, errors: [] });
    expect(run('n + 1', { n: 41 })).toEqual({ value: 42, errors: [] });
    expect(run('big', { big: 2 ** 40 })).toEqual({ value: String(2 ** 40), errors: [] });
    expect(run('frac', { frac: 1.5 })).toEqual({ value: '1.5', errors: [] });
    expect(run('bin', { bin: new Uint8Array([1, 2, 3]) })).toEqual({ value: 'AQID', errors: [] });
  });

  it('casts header strings as the operator needs (spec §3.7)', () => {
    expect(run('sequence = 5', { sequence: '5' }).value).toBe(true);
    expect(run("sequence = '5'", { sequence: 5 }).value).toBe(true);
    expect(run('hop < ttl', { hop: '9', ttl: '10' }).value).toBe(true);
    expect(run('flag AND true', { flag: 'TRUE' }).value).toBe(true);
    expect(run('flag = true', { flag: 'false' }).value).toBe(false);
    expect(run("TRUE = 'true' AND FALSE = 'false'").value).toBe(true);
    expect(run("TRUE = 'TRUE' OR FALSE = 'FALSE'").value).toBe(false);
    expect(run('n = 1', { n: 'one' })).toEqual({ value: false, errors: ['cast'] });
    expect(run("INT('+7') + INT('-007')")).toEqual({ value: 0, errors: [] });
    expect(run("INT(' 7')")).toEqual({ value: 0, errors: ['cast'] });
    expect(run("INT('2147483648')")).toEqual({ value: 0, errors: ['cast'] });
    expect(run('1 AND TRUE')).toEqual({ value: false, errors: ['cast'] });
  });

  it('does 32-bit integer arithmetic, truncating division with the sign of the dividend', () => {
    expect(run('2147483647 + 1').value).toBe(-2147483648);
    expect(run('-2147483648 - 1').value).toBe(2147483647);
    expect(run('65536 * 65536').value).toBe(0);
    expect(run('-7 / 2').value).toBe(-3);
    expect(run('-7 % 2').value).toBe(-1);
    expect(run('7 % -2').value).toBe(1);
    expect(run('-2147483648 / -1').value).toBe(-2147483648);
    expect(run('-2147483648 % -1')).toEqual({ value: 0, errors: [] });
    expect(run('-(-2147483648)').value).toBe(-2147483648);
    expect(Object.is(run('-0').value, 0)).toBe(true);
  });

  it('returns the zero value of the failing operator and the error (spec §3.2, §3.3)', () => {
    expect(run('missing')).toEqual({ value: false, errors: ['missingAttribute'] });
    expect(run('missing * 5')).toEqual({ value: 0, errors: ['missingAttribute'] });
    expect(run('LENGTH(missing)')).toEqual({ value: 0, errors: ['missingAttribute'] });
    expect(run('UPPER(missing)')).toEqual({ value: '', errors: ['missingAttribute'] });
    expect(run('missing IN (1, 2)')).toEqual({ value: false, errors: ['missingAttribute'] });
    expect(run('1 IN (missing, 1)')).toEqual({ value: false, errors: ['missingAttribute'] });
    expect(run('1 IN (1, missing)')).toEqual({ value: true, errors: [] });
    expect(run('(1 / 0) + 1')).toEqual({ value: 0, errors: ['math'] });
    expect(run("'abc' / 0")).toEqual({ value: 0, errors: ['cast', 'math'] });
  });

  it('short-circuits AND and OR', () => {
    expect(run('false AND missing')).toEqual({ value: false, errors: [] });
    expect(run('true OR missing')).toEqual({ value: true, errors: [] });
    expect(run('missing OR true')).toEqual({ value: false, errors: ['missingAttribute'] });
    expect(run('true XOR missing')).toEqual({ value: false, errors: ['missingAttribute'] });
  });

  it('compares an attribute with a string literal as the general = does', () => {
    expect(run("n = '5'", { n: 5 })).toEqual({ value: true, errors: [] });
    expect(run("flag = 'true'", { flag: true })).toEqual({ value: true, errors: [] });
    expect(run("type != 'x'")).toEqual({ value: true, errors: [] });
    expect(run("type <> 'com.example.order.created'")).toEqual({ value: false, errors: [] });
    expect(run("missing != 'x'")).toEqual({ value: false, errors: ['missingAttribute'] });
    expect(run("'5' = n", { n: 5 })).toEqual({ value: true, errors: [] });
    expect(run("'x' = n", { n: 5 })).toEqual({ value: false, errors: ['cast'] });
    expect(run("bin = 'AQID'", { bin: new Uint8Array([1, 2, 3]) })).toEqual({ value: true, errors: [] });
    expect(run("constructor = 'x'")).toEqual({ value: false, errors: ['missingAttribute'] });
    expect(run("constructor <> 'x'", { constructor: 'y' })).toEqual({ value: true, errors: [] });
  });

  it('implements EXISTS on own attributes only', () => {
    expect(run('EXISTS id AND EXISTS source AND EXISTS type AND EXISTS specversion').value).toBe(true);
    expect(run('EXISTS constructor')).toEqual({ value: false, errors: [] });
    expect(run('constructor')).toEqual({ value: false, errors: ['missingAttribute'] });
    expect(run('constructor', { constructor: 'x' })).toEqual({ value: 'x', errors: [] });
  });

  it('implements IN with the left operand type as the cast target', () => {
    expect(run("type IN ('a', 'com.example.order.created')").value).toBe(true);
    expect(run("type NOT IN ('a', 'b')").value).toBe(true);
    expect(run("n IN ('1', 2)", { n: 2 }).value).toBe(true);
    expect(run("n IN ('x', 2)", { n: 2 })).toEqual({ value: true, errors: ['cast'] });
    expect(run('s IN (1, 2)', { s: '2' }).value).toBe(true);
  });

  it('counts and cuts strings by Unicode character', () => {
    expect(run("LENGTH('😀a')").value).toBe(2);
    expect(run("LEFT('😀ab', 2)").value).toBe('😀a');
    expect(run("RIGHT('a😀b', 2)").value).toBe('😀b');
    expect(run("SUBSTRING('a😀bc', 2, 2)").value).toBe('😀b');
    expect(run("SUBSTRING('a😀bc', -1)").value).toBe('c');
    expect(run("s LIKE '_'", { s: '😀' }).value).toBe(true);
  });

  it('implements the remaining built-ins', () => {
    expect(run("TRIM('\u00a0\u2003 x \u3000\t')").value).toBe('x');
    expect(run("TRIM('\ufeffx')").value).toBe('\ufeffx');
    expect(run("TRIM('\u0085x\u0085')").value).toBe('x');
    expect(run('TRIM(s)', { s: `${' '.repeat(200_000)}x${' '.repeat(200_000)}` }).value).toBe('x');
    expect(run('TRIM(s)', { s: ' '.repeat(1000) }).value).toBe('');
    expect(run("CONCAT_WS('-', 1, TRUE, 'x')").value).toBe('1-true-x');
    expect(run("SUBSTRING('abc', 1, -1)")).toEqual({ value: '', errors: ['functionEvaluation'] });
    expect(run("SUBSTRING('abc', 2, 100)").value).toBe('bc');
    expect(run("LEFT('abc', 'x')")).toEqual({ value: '', errors: ['cast'] });
    expect(run('ABS(-5) + abs(5)').value).toBe(10);
    expect(run("lower('ÀB') = 'àb'").value).toBe(true);
  });

  it('trims exactly the Unicode White_Space characters', () => {
    const trim = parseCesql('TRIM(s)');
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const expected = /\p{White_Space}/u.test(ch) ? 'x' : `${ch}x`;
      if (trim.evaluate(event({ s: `${ch}x` })).value !== expected)
        throw new Error(`TRIM wrong for U+${c.toString(16)}`);
    }
  });

  it('evaluates the longest accepted chains without exhausting the stack', () => {
    const chain = Array.from({ length: 999 }, (_, i) => `n = ${i}`).join(' OR ');
    expect(run(chain, { n: 998 })).toEqual({ value: true, errors: [] });
    const sum = Array(1000).fill('1').join(' + ');
    expect(run(sum)).toEqual({ value: 1000, errors: [] });
  });

  it('gives readable error messages', () => {
    const result = parseCesql("missing = 1 OR INT('x') = 0").evaluate(event());
    expect(result.errors.map(String)).toEqual(["missingAttribute: the event has no attribute 'missing'"]);
    const cast = parseCesql("INT('x')").evaluate(event());
    expect(cast.errors.map(String)).toEqual(["cast: cannot cast String 'x' to Integer"]);
  });
});

describe('cesqlMatches (filter use, spec §1.2)', () => {
  it('passes only a Boolean true without errors', () => {
    const m = (text: string, extra: Record<string, AttributeValue> = {}) =>
      cesqlMatches(parseCesql(text), event(extra));
    expect(m("type LIKE 'com.example.%'")).toBe(true);
    expect(m("type LIKE 'org.%'")).toBe(false);
    expect(m('1')).toBe(false);
    expect(m("'true'")).toBe(false);
    expect(m('NOT 10')).toBe(false); // true, but with a cast error
    expect(m('missing = 1 OR true')).toBe(false);
    expect(m('flag', { flag: true })).toBe(true);
  });

  it('evaluates other CesqlExpression implementations through evaluate()', () => {
    const custom: CesqlExpression = {
      text: 'custom',
      attributes: new Set(),
      staticErrors: [],
      evaluate: () => ({ value: true, errors: [] }),
    };
    expect(cesqlMatches(custom, event())).toBe(true);
  });
});

describe('robustness (property tests)', () => {
  const tokens = fc.constantFrom(
    'a',
    'b',
    'type',
    'missing',
    'constructor',
    'TRUE',
    'false',
    '0',
    '1',
    '-',
    '+',
    '*',
    '/',
    '%',
    '(',
    ')',
    ',',
    '=',
    '!=',
    '<>',
    '<',
    '>=',
    'AND',
    'OR',
    'XOR',
    'NOT',
    'LIKE',
    'IN',
    'EXISTS',
    "'a%'",
    '"_b"',
    "'x\\'",
    'INT(',
    'BOOL(',
    'STRING(',
    'LENGTH(',
    'CONCAT(',
    'CONCAT_WS(',
    'SUBSTRING(',
    'LEFT(',
    'ABS(',
    'TRIM(',
    'NOPE(',
    '2147483647',
    '-2147483648',
    '\n',
    '😀',
    '#',
  );
  const tokenSoup = fc.array(tokens, { maxLength: 25 }).map((ts) => ts.join(' '));
  const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), tokenSoup);

  const attributeValue: fc.Arbitrary<AttributeValue> = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('true', 'FALSE', '10', '-3', '2147483648', ''),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.uint8Array({ maxLength: 6 }),
  );
  const attributes = fc.dictionary(
    fc.constantFrom('a', 'b', 'type', 'missing', 'constructor'),
    attributeValue,
  );

  // Random well-formed expressions, to exercise evaluation rather than the parser's errors.
  const { expression: validExpression } = fc.letrec<{ expression: string }>((tie) => ({
    expression: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(
        'a',
        'b',
        'type',
        'missing',
        'constructor',
        'TRUE',
        '0',
        '-7',
        "'x'",
        "'10'",
        'EXISTS a',
      ),
      fc
        .tuple(
          tie('expression'),
          fc.constantFrom('AND', 'OR', 'XOR', '=', '<>', '<=', '+', '-', '*', '/', '%'),
          tie('expression'),
        )
        .map(([l, op, r]) => `(${l} ${op} ${r})`),
      fc.tuple(fc.constantFrom('NOT ', '-'), tie('expression')).map(([op, e]) => `${op}(${e})`),
      fc
        .tuple(tie('expression'), fc.constantFrom("LIKE 'a%'", "NOT LIKE '_'", "LIKE '%\\_%'"))
        .map(([e, like]) => `(${e}) ${like}`),
      fc
        .tuple(tie('expression'), fc.array(tie('expression'), { minLength: 1, maxLength: 3 }))
        .map(([e, set]) => `(${e}) IN (${set.join(', ')})`),
      fc
        .tuple(
          fc.constantFrom(
            'INT',
            'BOOL',
            'STRING',
            'LENGTH',
            'CONCAT',
            'CONCAT_WS',
            'LEFT',
            'RIGHT',
            'SUBSTRING',
            'ABS',
            'TRIM',
            'LOWER',
            'NOPE',
          ),
          fc.array(tie('expression'), { maxLength: 3 }),
        )
        .map(([name, args]) => `${name}(${args.join(', ')})`),
    ),
  }));

  it('parseCesql returns an expression or throws CesqlParseError, for any text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        try {
          const expr = parseCesql(text);
          expect(expr.text).toBe(text);
        } catch (err) {
          expect(err).toBeInstanceOf(CesqlParseError);
          const { line, column } = err as CesqlParseError;
          expect(line).toBeGreaterThanOrEqual(1);
          expect(column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('evaluate never throws and agrees with cesqlMatches, for random expressions and events', () => {
    const parsed = validExpression.map((text) => parseCesql(text));
    fc.assert(
      fc.property(parsed, attributes, (expr, attrs) => {
        const ev = makeEvent({ ...BASE, ...attrs });
        const result = expr.evaluate(ev);
        expect(['boolean', 'number', 'string']).toContain(typeof result.value);
        if (typeof result.value === 'number') expect(result.value | 0).toBe(result.value);
        expect(result.errors.every((e) => e.kind !== 'generic')).toBe(true);
        expect(cesqlMatches(expr, ev)).toBe(result.value === true && result.errors.length === 0);
      }),
      { numRuns: 500 },
    );
  });
});
