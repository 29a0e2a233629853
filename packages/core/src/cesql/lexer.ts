/**
 * CESQL tokenizer: turns expression text into tokens with 1-based line/column positions, so that
 * parse errors can say exactly where they are.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#2-language-syntax
 */
import { CesqlParseError } from './errors.js';

export type TokenKind =
  | 'number' // digit+ (the sign is handled by the parser, see parser.ts)
  | 'word' // identifiers, function names and keywords: [A-Za-z0-9_]+ that is not all digits
  | 'string' // a '...' or "..." literal; `value` holds the unescaped text
  | 'op' // ( ) , = != <> >= <= < > + - * / %
  | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The token as written (for strings: with quotes and escapes). */
  readonly text: string;
  /** Strings: the literal's value; words: the text; others: the text. */
  readonly value: string;
  readonly line: number;
  readonly column: number;
}

const TWO_CHAR_OPS = new Set(['!=', '<>', '>=', '<=']);
const ONE_CHAR_OPS = new Set(['(', ')', ',', '=', '<', '>', '+', '-', '*', '/', '%']);

function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x5f // _
  );
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Splits `text` into tokens, always ending with one `end` token. Throws CesqlParseError. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (pos: number) => ({ line, column: pos - lineStart + 1 });

  while (i < text.length) {
    const c = text.charCodeAt(i);
    // Whitespace separates tokens; only line feeds move to the next line.
    if (c === 0x0a) {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c) {
      i++;
      continue;
    }
    const start = i;
    const pos = at(start);
    if (isWordChar(c)) {
      while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: isDigits(word) ? 'number' : 'word', text: word, value: word, ...pos });
      continue;
    }
    if (c === 0x27 || c === 0x22) {
      tokens.push(readString(text, start, pos.line, pos.column));
      // A string may span lines: keep the line counter right for the tokens after it.
      const literal = tokens[tokens.length - 1]!.text;
      for (let k = 0; k < literal.length; k++) {
        if (literal.charCodeAt(k) === 0x0a) {
          line++;
          lineStart = start + k + 1;
        }
      }
      i = start + literal.length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ kind: 'op', text: two, value: two, ...pos });
      i += 2;
      continue;
    }
    const one = text[i]!;
    if (ONE_CHAR_OPS.has(one)) {
      tokens.push({ kind: 'op', text: one, value: one, ...pos });
      i++;
      continue;
    }
    const shown = String.fromCodePoint(text.codePointAt(i)!);
    throw new CesqlParseError(`unexpected character ${JSON.stringify(shown)}`, pos.line, pos.column);
  }
  tokens.push({ kind: 'end', text: '', value: '', ...at(i) });
  return tokens;
}

/**
 * Reads a string literal starting at the quote at `start`. As in the spec's reference lexer
 * (cesql/CESQLLexer.g4) a backslash always pairs with the character after it, so `'a\\'` is
 * a complete literal. Per spec §2.2 the only escape that changes the value is the delimiting quote
 * (`\'` in '...', `\"` in "..."); every other pair is kept as written, which is what lets LIKE
 * patterns such as 'a\%b' reach the LIKE operator intact.
 */
function readString(text: string, start: number, line: number, column: number): Token {
  const quote = text.charCodeAt(start);
  let value = '';
  let i = start + 1;
  let chunk = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c && i + 1 < text.length) {
      if (text.charCodeAt(i + 1) === quote) {
        value += text.slice(chunk, i) + text[i + 1];
        chunk = i + 2;
      }
      i += 2;
      continue;
    }
    if (c === quote) {
      value += text.slice(chunk, i);
      const raw = text.slice(start, i + 1);
      return { kind: 'string', text: raw, value, line, column };
    }
    i++;
  }
  throw new CesqlParseError(
    `string literal starting here is not closed (missing ${String.fromCharCode(quote)})`,
    line,
    column,
  );
}
