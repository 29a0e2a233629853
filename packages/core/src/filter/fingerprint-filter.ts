/**
 * A cheap "certainly absent" test in front of the TriggerIndex's large maps.
 *
 * Among thousands of Triggers a map lookup costs cache misses (the hash table, the key string,
 * the entry), and most lookups find nothing. A fingerprint reads a few characters of the value
 * and its length; a bitset of the fingerprints in use (a one-hash Bloom filter, BITS_PER_KEY bits
 * per fingerprint, small enough to stay in cache) says when no key can have it. A fingerprint
 * that gets past it only costs the lookup it would have made anyway: the filter never changes an
 * answer, it only skips lookups.
 */

// FNV-1a over UTF-16 code units, masked to 30 bits so that every key is a small integer.
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;
export const HASH_MASK = 0x3fffffff;

// At least BITS_PER_KEY bits per fingerprint (about 1 in 16 absent values gets past), a power of
// two number of 32-bit words, starting at 1 KiB.
const BITS_PER_KEY = 16;
const MIN_WORDS = 256;

/** Characters of an affix's free edge that its fingerprint reads. */
const AFFIX_CHARS = 4;

/**
 * The fingerprint of the affix of `value` that is `length` characters long (a prefix, or a suffix
 * when `fromEnd`): that length and the affix's last characters counted from its anchored end (a
 * prefix's last ones, a suffix's first ones), where affixes that share a beginning (paths, dotted
 * types) differ. Called with `value` the affix itself when filing it.
 */
export function affixFingerprint(value: string, length: number, fromEnd: boolean): number {
  const n = value.length;
  let fingerprint = Math.imul(FNV_OFFSET ^ length, FNV_PRIME);
  const stop = length > AFFIX_CHARS ? length - AFFIX_CHARS : 0;
  for (let i = length - 1; i >= stop; i--) {
    fingerprint = Math.imul(fingerprint ^ value.charCodeAt(fromEnd ? n - 1 - i : i), FNV_PRIME);
  }
  return finish(fingerprint);
}

/**
 * The cheapest fingerprint of the affix of `value` that is `length` characters long: that length
 * and the one character at the affix's free edge (a prefix's last, a suffix's first).
 */
export function edgeFingerprint(value: string, length: number, fromEnd: boolean): number {
  const edge = value.charCodeAt(fromEnd ? value.length - length : length - 1);
  return finish(Math.imul(Math.imul(FNV_OFFSET ^ length, FNV_PRIME) ^ edge, FNV_PRIME));
}

/**
 * The fingerprint of a whole value: its length, its last four characters and the two in its
 * middle. Values of one family mostly differ there (`/apps/shop/instances/42`, `order.v2`,
 * `com.example.orders.created`); values that differ only elsewhere (`a.created.v1` and
 * `a.updated.v1`) share a fingerprint, which costs them the lookup the filter would have saved.
 */
export function valueFingerprint(value: string): number {
  const n = value.length;
  let fingerprint = Math.imul(FNV_OFFSET ^ n, FNV_PRIME);
  const stop = n > 4 ? n - 4 : 0;
  for (let i = n - 1; i >= stop; i--) fingerprint = Math.imul(fingerprint ^ value.charCodeAt(i), FNV_PRIME);
  if (n > 6) {
    const middle = n >> 1;
    fingerprint = Math.imul(fingerprint ^ value.charCodeAt(middle), FNV_PRIME);
    fingerprint = Math.imul(fingerprint ^ value.charCodeAt(middle - 1), FNV_PRIME);
  }
  return finish(fingerprint);
}

function finish(fingerprint: number): number {
  return (fingerprint ^ (fingerprint >>> 15)) & HASH_MASK;
}

export class FingerprintFilter {
  /** How many filed keys have each fingerprint. */
  readonly #uses = new Map<number, number>();
  /** Bit `fingerprint & (size - 1)` is set for every fingerprint in use (and maybe for removed ones). */
  #bits = new Uint32Array(MIN_WORDS);
  /** Fingerprints dropped since the bitset was last rebuilt (their bits may still be set). */
  #removedSinceRebuild = 0;

  /** Number of distinct fingerprints in use. */
  get size(): number {
    return this.#uses.size;
  }

  add(fingerprint: number): void {
    const uses = this.#uses.get(fingerprint) ?? 0;
    this.#uses.set(fingerprint, uses + 1);
    if (uses > 0) return;
    if (this.#uses.size * BITS_PER_KEY > this.#bits.length * 32) this.#rebuild();
    else setBit(this.#bits, fingerprint);
  }

  remove(fingerprint: number): void {
    const uses = (this.#uses.get(fingerprint) ?? 1) - 1;
    if (uses > 0) {
      this.#uses.set(fingerprint, uses);
      return;
    }
    this.#uses.delete(fingerprint);
    // Stale bits only let lookups through; clear them once they are as many as the live ones.
    if (++this.#removedSinceRebuild > this.#uses.size) this.#rebuild();
  }

  /** False when no filed key has this fingerprint; true when one may. */
  mayHave(fingerprint: number): boolean {
    const bits = this.#bits;
    return (bits[(fingerprint >>> 5) & (bits.length - 1)]! & (1 << (fingerprint & 31))) !== 0;
  }

  /** Sizes the bitset for the fingerprints in use and sets exactly their bits. */
  #rebuild(): void {
    let words = MIN_WORDS;
    while (words * 32 < this.#uses.size * BITS_PER_KEY * 2) words *= 2;
    this.#bits = new Uint32Array(words);
    for (const fingerprint of this.#uses.keys()) setBit(this.#bits, fingerprint);
    this.#removedSinceRebuild = 0;
  }
}

function setBit(bits: Uint32Array, key: number): void {
  const word = (key >>> 5) & (bits.length - 1);
  bits[word] = bits[word]! | (1 << (key & 31));
}
