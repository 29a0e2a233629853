import { describe, expect, it } from 'vitest';
import type { CesqlNode } from './ast.js';
import { CesqlParseError } from './errors.js';
import { MAX_DEPTH, MAX_NESTING, parseToTree } from './parser.js';

/** A compact, fully parenthesized rendering of a tree, to check precedence and associativity. */
function show(node: CesqlNode): string {
  switch (node.type) {
    case 'literal':
      return typeof node.value === 'string' ? `'${node.value}'` : String(node.value);
    case 'attribute':
      return node.name;
    case 'exists':
      return `EXISTS ${node.name}`;
    case 'not':
      return `(NOT ${show(node.operand)})`;
    case 'negate':
      return `(-${show(node.operand)})`;
    case 'binary':
      return `(${show(node.left)} ${node.operator} ${show(node.right)})`;
    case 'like':
      return `(${show(node.operand)}${node.negated ? ' NOT' : ''} LIKE '${node.pattern}')`;
    case 'in':
      return `(${show(node.operand)}${node.negated ? ' NOT' : ''} IN [${node.set.map(show).join(', ')}])`;
    case 'call':
      return `${node.name}(${node.args.map(show).join(', ')})`;
  }
}

const tree = (text: string) => show(parseToTree(text));

function parseError(text: string): CesqlParseError {
  try {
    parseToTree(text);
  } catch (err) {
    if (err instanceof CesqlParseError) return err;
    throw err;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
}

describe('CESQL parser: precedence (spec §3.6)', () => {
  it('binds * / % tighter than + -, and + - tighter than comparisons', () => {
    expect(tree('4 * 2 + 4 / 2')).toBe('((4 * 2) + (4 / 2))');
    expect(tree('a + 1 = b * 2')).toBe('((a + 1) = (b * 2))');
    expect(tree('10 - 2 - 3')).toBe('((10 - 2) - 3)');
  });

  it('puts AND, OR and XOR on one level, grouped to the right like the reference grammar', () => {
    expect(tree('a OR b AND c')).toBe('(a OR (b AND c))');
    expect(tree('a AND b OR c XOR d')).toBe('(a AND (b OR (c XOR d)))');
    expect(tree('(a AND b) OR c')).toBe('((a AND b) OR c)');
    expect(tree('a = 1 AND b = 2')).toBe('((a = 1) AND (b = 2))');
  });

  it('binds unary NOT and minus tighter than LIKE, IN and binary operators', () => {
    expect(tree('NOT a = b')).toBe('((NOT a) = b)');
    expect(tree("NOT a LIKE 'x%'")).toBe("((NOT a) LIKE 'x%')");
    expect(tree('-a * 2')).toBe('((-a) * 2)');
    expect(tree('NOT EXISTS time')).toBe('(NOT EXISTS time)');
  });

  it('binds LIKE and IN tighter than binary operators', () => {
    expect(tree("a LIKE 'x' AND b NOT LIKE 'y'")).toBe("((a LIKE 'x') AND (b NOT LIKE 'y'))");
    expect(tree('a IN (1, 2) OR b NOT IN (c)')).toBe('((a IN [1, 2]) OR (b NOT IN [c]))');
  });

  it('honours parentheses', () => {
    expect(tree('4 * (2 + 4) / 2')).toBe('((4 * (2 + 4)) / 2)');
    expect(tree('a OR (b AND c)')).toBe('(a OR (b AND c))');
  });
});

describe('CESQL parser: literals and names', () => {
  it('reads integer literals with their sign, within 32 bits', () => {
    expect(tree('-2147483648')).toBe('-2147483648');
    expect(tree('2147483647')).toBe('2147483647');
    expect(tree('+5')).toBe('5');
    expect(tree('--10')).toBe('(--10)');
    expect(tree('4 - 1')).toBe('(4 - 1)');
    expect(tree('4 -1')).toBe('(4 - 1)');
    expect(tree('-0')).toBe('0');
    expect(parseError('2147483648').message).toMatch(/outside the 32-bit range/);
    expect(parseError('-2147483649').message).toMatch(/outside the 32-bit range/);
    expect(parseError('99999999999999999999999').message).toMatch(/outside the 32-bit range/);
    expect(parseError('9'.repeat(5000)).message.length).toBeLessThan(200);
    expect(parseError(`a ${'b'.repeat(5000)}`).message).toMatch(/unexpected 'b{37}\.\.\.' after/);
  });

  it('reads both string quotes with their escaped quote, keeping other backslashes', () => {
    expect(tree(`'a"b\\'c'`)).toBe(`'a"b'c'`);
    expect(tree(`"a'b\\"c"`)).toBe(`'a'b"c'`);
    expect(tree(`'a\\%b\\c'`)).toBe(`'a\\%b\\c'`);
    expect(tree(`''`)).toBe(`''`);
    // A backslash pairs with the next character (reference lexer), so this literal is complete.
    expect(tree(`'a\\\\' = x`)).toBe(`('a\\\\' = x)`);
    expect(tree(`"\\'"`)).toBe(`'\\''`);
  });

  it('treats keywords, booleans and function names case-insensitively and lower-cases attributes', () => {
    expect(tree('tRuE aNd FaLsE')).toBe('(true AND false)');
    expect(tree('EXISTS SOURCE')).toBe('EXISTS source');
    expect(tree('MyExt1')).toBe('myext1');
    expect(tree('concat_ws(",", a)')).toBe("CONCAT_WS(',', a)");
    expect(tree('f()')).toBe('F()');
  });

  it('reads function calls with any number of arguments', () => {
    expect(tree('SUBSTRING(a, 1, LENGTH(b))')).toBe('SUBSTRING(a, 1, LENGTH(b))');
  });

  it('spans lines', () => {
    expect(tree('a = 1\n  AND\n  b = 2')).toBe('((a = 1) AND (b = 2))');
  });
});

describe('CESQL parser: errors name what and where', () => {
  it.each([
    ['', 1, 1, /empty/],
    ['   ', 1, 4, /empty/],
    ['ABC(', 1, 5, /ends where a value was expected/],
    ['(a = 1', 1, 7, /expected '\)' to close the '\(' at line 1, column 1/],
    ['a = ', 1, 5, /ends where a value was expected/],
    ['a = 1 b', 1, 7, /unexpected 'b' after a complete expression/],
    ['a LIKE 123', 1, 8, /LIKE needs a string literal pattern/],
    ['a LIKE b', 1, 8, /LIKE needs a string literal pattern/],
    ['a IN ()', 1, 6, /IN set is empty/],
    ['a IN 1', 1, 6, /IN needs a parenthesized list/],
    ['a IN (1 2)', 1, 9, /expected ',' or '\)'/],
    ["'abc", 1, 1, /not closed/],
    ['a = 1\nAND b ! 2', 2, 7, /unexpected character "!"/],
    ['my_ext = 1', 1, 1, /attribute names are letters and digits/],
    ['EXISTS 1', 1, 8, /EXISTS needs an attribute name/],
    ['EXISTS AND', 1, 8, /EXISTS needs an attribute name/],
    ['a AND AND b', 1, 7, /unexpected keyword AND/],
    ['f1(a)', 1, 1, /not a valid function name/],
    ['+a', 1, 1, /expected a value, found '\+'/],
    ['a = #', 1, 5, /unexpected character "#"/],
  ])('%j fails at line %i, column %i', (text, line, column, message) => {
    const err = parseError(text);
    expect(err).toMatchObject({ line, column, code: 'CESQL_PARSE', kind: 'parse' });
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`line ${line}, column ${column}`);
  });

  it('refuses nesting deeper than the limits instead of exhausting the stack', () => {
    const deepParens = `${'('.repeat(MAX_NESTING + 5)}1${')'.repeat(MAX_NESTING + 5)}`;
    expect(parseError(deepParens).message).toMatch(/nests parentheses or operators deeper than 200/);
    expect(parseError('('.repeat(100_000)).message).toMatch(/nests parentheses/);
    expect(parseError('NOT '.repeat(100_000) + 'true').message).toMatch(/nests parentheses/);
    expect(parseError('-'.repeat(100_000) + 'a').message).toMatch(/nests parentheses/);
    expect(parseError(`${'f('.repeat(MAX_NESTING + 1)}1${')'.repeat(MAX_NESTING + 1)}`).message).toMatch(
      /nests parentheses/,
    );
    expect(parseError(Array(100_000).fill('1').join(' + ')).message).toMatch(/nests deeper than 1000/);
    expect(parseError(Array(100_000).fill('a').join(' OR ')).message).toMatch(/nests deeper than 1000/);
  });

  it('accepts wide expressions that are not deep', () => {
    const wide = `a IN (${Array.from({ length: 5000 }, (_, i) => i).join(', ')})`;
    expect(parseToTree(wide).type).toBe('in');
    const chain = Array.from({ length: MAX_DEPTH - 1 }, (_, i) => `x = ${i}`).join(' OR ');
    expect(parseToTree(chain).depth).toBe(MAX_DEPTH);
  });
});
