/**
 * Finds where a top-level member's value sits in a JSON object text, so that structured-mode
 * `data` can be kept as the exact JSON the producer sent: no precision lost on large integers,
 * no re-serialisation cost. Only for text that JSON.parse already accepted.
 */

/** [start, end) of the value of the last top-level member called `name`, or undefined. */
export function topLevelMemberSpan(text: string, name: string): [number, number] | undefined {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  i++;
  let found: [number, number] | undefined;
  for (;;) {
    i = skipWs(text, i);
    if (text.charCodeAt(i) === 0x7d /* } */) return found;
    const keyStart = i;
    i = skipString(text, i);
    const rawKey = text.slice(keyStart + 1, i - 1);
    const key = rawKey.includes('\\') ? (JSON.parse(text.slice(keyStart, i)) as string) : rawKey;
    i = skipWs(text, i) + 1; // the ':'
    i = skipWs(text, i);
    const valueStart = i;
    i = skipValue(text, i);
    if (key === name) found = [valueStart, i];
    i = skipWs(text, i);
    if (text.charCodeAt(i) === 0x2c /* , */) i++;
    else return found;
  }
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** From the opening quote to just past the closing one. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    // The quote is escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22 /* " */) return skipString(text, i);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === 0x22) {
        j = skipString(text, j);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    j++;
  }
  return j;
}

/** [start, end) of every element of a top-level JSON array text. */
export function topLevelElementSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x5b /* [ */) return spans;
  i++;
  for (;;) {
    i = skipWs(text, i);
    if (i >= text.length || text.charCodeAt(i) === 0x5d /* ] */) return spans;
    const start = i;
    i = skipValue(text, i);
    spans.push([start, i]);
    i = skipWs(text, i);
    if (text.charCodeAt(i) === 0x2c /* , */) i++;
    else return spans;
  }
}
