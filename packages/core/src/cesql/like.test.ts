import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLike } from './like.js';

/** A slow but obviously correct reference: the pattern as an anchored regular expression. */
function reference(pattern: string, value: string): boolean {
  let source = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && (chars[i + 1] === '%' || chars[i + 1] === '_')) {
      source += `[${chars[i + 1]}]`;
      i++;
    } else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su').test(value);
}

describe('LIKE patterns (spec §3.4.3)', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'aBc', false],
    ['a%', 'a', true],
    ['a%', 'abc', true],
    ['a%', 'ba', false],
    ['%c', 'abc', true],
    ['%c', 'ab', false],
    ['%b%', 'abc', true],
    ['%b%', 'ac', false],
    ['a%c', 'ac', true],
    ['a%c', 'abbc', true],
    ['ab%bc', 'abc', false],
    ['a_c', 'abc', true],
    ['a_c', 'ac', false],
    ['_b%', 'ab', true],
    ['_b%', 'abcd1', true],
    ['_b%', 'b', false],
    ['_b%', 'acd', false],
    ['a%b%c', 'azzzbzzzc', true],
    ['.%.%.', 'ab.cde', false],
    ['%', '', true],
    ['', '', true],
    ['', 'a', false],
    ['%%', 'x', true],
    ['a\\%', 'a%', true],
    ['a\\%', 'ab', false],
    ['a\\_c', 'a_c', true],
    ['a\\_c', 'abc', false],
    ['ab\\c', 'ab\\c', true],
    ['a\\\\%', 'a\\%', true], // the first backslash is literal, the second escapes %
    ['a\\\\%', 'a\\\\xyz', false],
    ['%\\%', '100%', true],
    ['_', '😀', true],
    ['__', '😀', false],
    ['a_c', 'a😀c', true],
    ['%😀_', 'x😀y', true],
  ])('%j LIKE %j is %s', (pattern, value, expected) => {
    expect(compileLike(pattern)(value)).toBe(expected);
    expect(reference(pattern, value)).toBe(expected);
  });

  it('agrees with a regular-expression reference on random patterns and texts', () => {
    const alphabet = fc.constantFrom('a', 'b', '%', '_', '\\', '😀', '.');
    const text = fc.array(alphabet, { maxLength: 10 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, text, (pattern, value) => {
        expect(compileLike(pattern)(value)).toBe(reference(pattern, value));
      }),
      { numRuns: 2000 },
    );
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    const pattern = `${'%a'.repeat(30)}%b`;
    const value = 'a'.repeat(5000);
    expect(compileLike(pattern)(value)).toBe(false);
    const long = `${'x'.repeat(1_000_000)}needle${'y'.repeat(1000)}`;
    expect(compileLike(`x%${'n'}eedle%y_`)(long)).toBe(true);
    expect(compileLike(`x%${'z'.repeat(500)}%y`)(long)).toBe(false);
  });
});
