/**
 * CESQL strings are sequences of Unicode characters (spec §3.1), while JS strings are UTF-16
 * code units. These helpers count and cut by code point, with a fast path for the usual case of
 * a string without surrogate pairs, where code units and characters are the same.
 */

const SURROGATE = /[\uD800-\uDFFF]/;

export function hasSurrogates(text: string): boolean {
  return SURROGATE.test(text);
}

/** Number of Unicode characters (code points) in `text`. */
export function charLength(text: string): number {
  if (!hasSurrogates(text)) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Characters [start, end) of `text`, by code point index. */
export function charSlice(text: string, start: number, end: number): string {
  if (!hasSurrogates(text)) return text.slice(start, end);
  return Array.from(text).slice(start, end).join('');
}
