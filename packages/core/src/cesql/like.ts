/**
 * The LIKE operator's pattern, compiled once into a matcher.
 *
 * `%` matches zero or more characters, `_` exactly one character, `\%` and `\_` match `%` and
 * `_` literally; every other character (a backslash before anything else included) matches
 * itself, case-sensitively.
 *
 * Common shapes become a single string operation (exact, prefix%, %suffix, %infix%). Any other
 * pattern is matched segment by segment: the text between `%`s has a fixed length, so the first
 * and last segments are anchored and each middle one is taken at its leftmost match, which is
 * O(text × pattern) at worst with no backtracking blow-up, whatever the pattern.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#343-like-operator
 */
import { hasSurrogates } from './characters.js';

/** One segment between `%`s: each element is a literal character, or null for `_`. */
type Segment = ReadonlyArray<string | null>;

export type LikeMatcher = (value: string) => boolean;

interface ParsedPattern {
  /** The pattern split at unescaped `%`: n+1 segments for n wildcards. */
  readonly segments: ReadonlyArray<ReadonlyArray<string | null>>;
  readonly hasUnderscore: boolean;
}

function parsePattern(pattern: string): ParsedPattern {
  const segments: Array<Array<string | null>> = [[]];
  let hasUnderscore = false;
  // Iterate by code point so that `_` and literal characters are whole characters.
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const current = segments[segments.length - 1]!;
    if (c === '\\' && (chars[i + 1] === '%' || chars[i + 1] === '_')) {
      current.push(chars[i + 1]!);
      i++;
    } else if (c === '%') {
      segments.push([]);
    } else if (c === '_') {
      current.push(null);
      hasUnderscore = true;
    } else {
      current.push(c);
    }
  }
  return { segments, hasUnderscore };
}

/** Compiles a LIKE pattern (as written in its string literal) into a matcher. */
export function compileLike(pattern: string): LikeMatcher {
  const { segments, hasUnderscore } = parsePattern(pattern);
  if (!hasUnderscore) {
    const literals = segments.map((s) => s.join(''));
    const [first, second, third] = literals;
    if (literals.length === 1) return (v) => v === first;
    if (literals.length === 2) {
      if (second === '') return (v) => v.startsWith(first!);
      if (first === '') return (v) => v.endsWith(second!);
      return (v) => v.length >= first!.length + second!.length && v.startsWith(first!) && v.endsWith(second!);
    }
    if (literals.length === 3 && first === '' && third === '') return (v) => v.includes(second!);
  }
  // Segments by UTF-16 code unit, for texts without surrogate pairs (then units are characters).
  const unitSegments: Segment[] = segments.map((s) => s.flatMap((c) => (c === null ? [null] : c.split(''))));
  // Middle segments without `_`, as strings, so that indexOf (native and fast) can find them.
  const literalSegments = segments.map((s) => (s.includes(null) ? undefined : s.join('')));
  return (value) =>
    hasUnderscore && hasSurrogates(value)
      ? matchSegments(Array.from(value), segments, NO_LITERALS)
      : matchSegments(value, unitSegments, literalSegments);
}

const NO_LITERALS: ReadonlyArray<string | undefined> = [];

/** Whether `seg` matches `text` at `pos` (the caller guarantees it fits). */
function matchesAt(text: ArrayLike<string>, pos: number, seg: Segment): boolean {
  for (let j = 0; j < seg.length; j++) {
    const c = seg[j];
    if (c !== null && text[pos + j] !== c) return false;
  }
  return true;
}

/**
 * Matches `text` against the segments between `%`s. `literals[k]`, when given, is segment k as a
 * plain string (no `_`), for a `text` that is a string.
 */
function matchSegments(
  text: ArrayLike<string>,
  segments: readonly Segment[],
  literals: ReadonlyArray<string | undefined>,
): boolean {
  const first = segments[0]!;
  const n = text.length;
  if (segments.length === 1) return n === first.length && matchesAt(text, 0, first);
  const last = segments[segments.length - 1]!;
  let min = 0;
  for (const s of segments) min += s.length;
  if (n < min || !matchesAt(text, 0, first)) return false;
  let pos = first.length;
  const end = n - last.length;
  for (let k = 1; k < segments.length - 1; k++) {
    const seg = segments[k]!;
    const literal = literals[k];
    let found = -1;
    if (literal !== undefined && typeof text === 'string') {
      found = text.indexOf(literal, pos);
      if (found + seg.length > end) found = -1;
    } else {
      for (let p = pos; p + seg.length <= end; p++) {
        if (matchesAt(text, p, seg)) {
          found = p;
          break;
        }
      }
    }
    if (found < 0) return false;
    pos = found + seg.length;
  }
  return end >= pos && matchesAt(text, end, last);
}
