/**
 * Finds the Triggers whose filters match an event without evaluating every filter (Knative
 * evaluates every Trigger for every event; we do not).
 *
 * Each filter states a requirement (see `requirement.ts`): clauses of exact / prefix / suffix
 * tests on attributes, one of which must hold whenever the filter does not fail. A Trigger is
 * filed under the atoms of one of its clauses (the one with the emptiest buckets when it is
 * added); a Trigger with no clause goes to a residual list. Matching an event makes one hash
 * lookup per attribute with exact values and, per attribute with prefixes or suffixes, one pass
 * over the value plus a lookup per length in use; then it fully evaluates only the candidates
 * found and the residual list.
 * The index only ever narrows the candidates, so its answer is always exactly that of evaluating
 * every filter, whichever clause it chose.
 */
import type { MeshEvent } from '../event/mesh-event.js';
import { attributeText } from './attribute-value.js';
import { TriggerFilter } from './compile.js';
import type { FilterNode } from './filter-node.js';
import {
  affixFingerprint,
  edgeFingerprint,
  FingerprintFilter,
  FNV_OFFSET,
  FNV_PRIME,
  HASH_MASK,
  valueFingerprint,
} from './fingerprint-filter.js';
import { type Atom, type AtomKind, type Clause, atomTest } from './requirement.js';
import type { CompiledFilter } from './types.js';

interface Entry<T> {
  readonly id: string;
  /** Insertion order: results come back in the order Triggers were added. */
  readonly seq: number;
  readonly filter: CompiledFilter;
  /** The compiled filter's root, called directly on the hot path; undefined for foreign filters. */
  readonly root: FilterNode | undefined;
  // The root's equivalent atom, copied here: most filters are one exact or prefix test, and
  // running it from the entry saves a memory load per candidate (a cache miss among 10,000).
  readonly atomKind: AtomKind | undefined;
  readonly atomAttribute: string;
  readonly atomValue: string;
  readonly value: T;
  /** The atoms the entry is filed under; undefined when it is in the residual list. */
  readonly clause: Clause | undefined;
  /** The last match() that looked at this entry: one entry filed under several atoms is evaluated once. */
  stamp: number;
}

/** Most buckets hold one Trigger: it is stored as is, saving a memory load per lookup. */
type Bucket<T> = Entry<T> | Entry<T>[];

/**
 * Exact values of one attribute: one hash lookup of the event's value. Once the map is large
 * (EXACT_GUARD_MIN values), a fingerprint filter skips the lookups that would find nothing: a
 * lookup among thousands of values costs cache misses, reading a few characters does not.
 */
interface ExactProbe<T> {
  readonly kind: 'exact';
  readonly key: string;
  readonly attribute: string;
  readonly buckets: Map<string, Bucket<T>>;
  /** The fingerprints of the filed atoms' values. */
  readonly filter: FingerprintFilter;
  /** Whether match() consults the filter (the map has EXACT_GUARD_MIN values or more). */
  guarded: boolean;
}

/** Below this many values an exact map stays in cache and the filter would only add work. */
export const EXACT_GUARD_MIN = 256;

/**
 * Prefixes (or suffixes) of one attribute, keyed by a hash of the affix; a hash collision only
 * adds a candidate, which full evaluation then rejects. Most affix lengths in use find nothing in
 * a given value, so each length is first checked by one character (affixes mostly end at a
 * separator such as `/` or `.`, and most lengths of a value do not), then by its fingerprint (see
 * fingerprint-filter.ts); only a length that gets past both pays for hashing the value up to that
 * length (incrementally, with no string slicing) and a map lookup.
 */
interface AffixProbe<T> {
  readonly kind: 'prefix' | 'suffix';
  readonly key: string;
  readonly attribute: string;
  /** The affix lengths in use, ascending. */
  lengths: number[];
  /** How many filed atoms use each length. */
  readonly lengthUse: Map<number, number>;
  readonly buckets: Map<number, Bucket<T>>;
  /** Each filed affix's length and its character at the free edge (see `edgeFingerprint`). */
  readonly edges: FingerprintFilter;
  /** The fingerprints of the filed affixes. */
  readonly filter: FingerprintFilter;
}

type Probe<T> = ExactProbe<T> | AffixProbe<T>;

export class TriggerIndex<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #probes = new Map<string, Probe<T>>();
  /** The probes as an array for match(), rebuilt when a probe comes or goes. */
  #probeList: Probe<T>[] = [];
  readonly #residual: Entry<T>[] = [];
  #seq = 0;
  #stamp = 0;
  #evaluations = 0;

  /** Number of Triggers in the index. */
  get size(): number {
    return this.#entries.size;
  }

  /** Number of Triggers that no index covers and that every match() evaluates. */
  get residualCount(): number {
    return this.#residual.length;
  }

  /** Filter evaluations match() has made so far: what the index saves is `size` per event minus this. */
  get evaluations(): number {
    return this.#evaluations;
  }

  /**
   * Adds a Trigger's filter under `id`, replacing any Trigger already added under that id.
   * A filter not made by compileFilter is kept in the residual list (evaluated for every event).
   */
  add(id: string, filter: CompiledFilter, value: T): void {
    this.remove(id);
    const compiled = filter instanceof TriggerFilter ? filter : undefined;
    const clause = compiled === undefined ? undefined : this.#cheapestClause(compiled.requirement);
    const atom = compiled?.root.equivalentAtom;
    const entry: Entry<T> = {
      id,
      seq: this.#seq++,
      filter,
      root: compiled?.root,
      atomKind: atom?.kind,
      atomAttribute: atom?.attribute ?? '',
      atomValue: atom?.value ?? '',
      value,
      clause,
      stamp: 0,
    };
    this.#entries.set(id, entry);
    if (clause === undefined) {
      this.#residual.push(entry);
      return;
    }
    for (const atom of clause) {
      const probe = this.#probeFor(atom, true)!;
      if (probe.kind === 'exact') {
        addToBucket(probe.buckets, atom.value, entry);
        probe.filter.add(valueFingerprint(atom.value));
        probe.guarded = probe.buckets.size >= EXACT_GUARD_MIN;
      } else {
        const fromEnd = probe.kind === 'suffix';
        addToBucket(probe.buckets, affixHash(atom.value, fromEnd), entry);
        probe.edges.add(edgeFingerprint(atom.value, atom.value.length, fromEnd));
        probe.filter.add(affixFingerprint(atom.value, atom.value.length, fromEnd));
        const length = atom.value.length;
        const uses = probe.lengthUse.get(length) ?? 0;
        probe.lengthUse.set(length, uses + 1);
        if (uses === 0) probe.lengths = [...probe.lengthUse.keys()].sort((a, b) => a - b);
      }
    }
  }

  /** Removes the Trigger added under `id`; false when there was none. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    if (entry.clause === undefined) removeFromList(this.#residual, entry);
    else for (const atom of entry.clause) this.#removeFromAtom(atom, entry);
    return true;
  }

  /** The values of every Trigger whose filter matches the event (pass or no opinion), in insertion order. */
  match(event: MeshEvent): T[] {
    const stamp = ++this.#stamp;
    const hits: Entry<T>[] = [];
    let evaluated = 0;
    const probes = this.#probeList;
    for (let p = 0; p < probes.length; p++) {
      const probe = probes[p]!;
      const actual = attributeText(event, probe.attribute);
      if (actual === undefined) continue;
      if (probe.kind === 'exact') {
        if (probe.guarded && !probe.filter.mayHave(valueFingerprint(actual))) continue;
        const bucket = probe.buckets.get(actual);
        if (bucket !== undefined) evaluated += considerBucket(bucket, event, stamp, hits);
        continue;
      }
      // Each length in use: its edge character and fingerprint first; past both filters, hash
      // the value up to it (continuing from the shorter lengths already hashed), look it up.
      const lengths = probe.lengths;
      const { edges, filter } = probe;
      const n = actual.length;
      const fromEnd = probe.kind === 'suffix';
      let hashed = 0;
      let hash = FNV_OFFSET;
      for (let l = 0; l < lengths.length; l++) {
        const length = lengths[l]!;
        if (length > n) break;
        if (!edges.mayHave(edgeFingerprint(actual, length, fromEnd))) continue;
        if (!filter.mayHave(affixFingerprint(actual, length, fromEnd))) continue;
        for (; hashed < length; hashed++) {
          hash = Math.imul(hash ^ actual.charCodeAt(fromEnd ? n - 1 - hashed : hashed), FNV_PRIME);
        }
        const bucket = probe.buckets.get(hash & HASH_MASK);
        if (bucket !== undefined) evaluated += considerBucket(bucket, event, stamp, hits);
      }
    }
    for (const entry of this.#residual) evaluated += consider(entry, event, stamp, hits);
    this.#evaluations += evaluated;
    if (hits.length > 1) hits.sort((a, b) => a.seq - b.seq);
    return hits.map((e) => e.value);
  }

  /** The clause whose atoms' buckets hold the fewest Triggers now (exact preferred on ties). */
  #cheapestClause(requirement: readonly Clause[]): Clause | undefined {
    let best: Clause | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const clause of requirement) {
      let cost = 0;
      for (const atom of clause) {
        const probe = this.#probeFor(atom, false);
        const bucket =
          probe === undefined
            ? undefined
            : probe.kind === 'exact'
              ? probe.buckets.get(atom.value)
              : probe.buckets.get(affixHash(atom.value, probe.kind === 'suffix'));
        const size = bucket === undefined ? 0 : Array.isArray(bucket) ? bucket.length : 1;
        cost += size + (atom.kind === 'exact' ? 1 : 1.5);
      }
      if (cost < bestCost) {
        best = clause;
        bestCost = cost;
      }
    }
    return best;
  }

  /** The probe an atom is looked up by, created on demand when `create` is set. */
  #probeFor(atom: Atom, create: boolean): Probe<T> | undefined {
    const key = `${atom.kind} ${atom.attribute}`;
    let probe = this.#probes.get(key);
    if (probe === undefined && create) {
      const { kind, attribute } = atom;
      probe =
        kind === 'exact'
          ? { kind, key, attribute, buckets: new Map(), filter: new FingerprintFilter(), guarded: false }
          : {
              kind,
              key,
              attribute,
              lengths: [],
              lengthUse: new Map(),
              buckets: new Map(),
              edges: new FingerprintFilter(),
              filter: new FingerprintFilter(),
            };
      this.#probes.set(key, probe);
      this.#probeList = [...this.#probes.values()];
    }
    return probe;
  }

  #removeFromAtom(atom: Atom, entry: Entry<T>): void {
    const probe = this.#probeFor(atom, false);
    if (probe === undefined) return;
    if (probe.kind === 'exact') {
      removeFromBucket(probe.buckets, atom.value, entry);
      probe.filter.remove(valueFingerprint(atom.value));
      probe.guarded = probe.buckets.size >= EXACT_GUARD_MIN;
    } else {
      const fromEnd = probe.kind === 'suffix';
      removeFromBucket(probe.buckets, affixHash(atom.value, fromEnd), entry);
      probe.edges.remove(edgeFingerprint(atom.value, atom.value.length, fromEnd));
      probe.filter.remove(affixFingerprint(atom.value, atom.value.length, fromEnd));
      const length = atom.value.length;
      const uses = (probe.lengthUse.get(length) ?? 1) - 1;
      if (uses > 0) probe.lengthUse.set(length, uses);
      else {
        probe.lengthUse.delete(length);
        probe.lengths = probe.lengths.filter((l) => l !== length);
      }
    }
    // Drop an empty probe so that match() never looks up what nobody filters on.
    if (probe.buckets.size === 0) {
      this.#probes.delete(probe.key);
      this.#probeList = [...this.#probes.values()];
    }
  }
}

/** The hash match() computes for an affix: over its characters from the start, or from the end for suffixes. */
function affixHash(affix: string, fromEnd: boolean): number {
  let hash = FNV_OFFSET;
  const n = affix.length;
  for (let i = 0; i < n; i++) hash = Math.imul(hash ^ affix.charCodeAt(fromEnd ? n - 1 - i : i), FNV_PRIME);
  return hash & HASH_MASK;
}

function addToBucket<K, T>(buckets: Map<K, Bucket<T>>, key: K, entry: Entry<T>): void {
  const bucket = buckets.get(key);
  if (bucket === undefined) buckets.set(key, entry);
  else if (Array.isArray(bucket)) bucket.push(entry);
  else buckets.set(key, [bucket, entry]);
}

/** Removes one occurrence of `entry` (an entry filed under two colliding affixes is there twice). */
function removeFromBucket<K, T>(buckets: Map<K, Bucket<T>>, key: K, entry: Entry<T>): void {
  const bucket = buckets.get(key);
  if (bucket === undefined) return;
  if (!Array.isArray(bucket)) {
    if (bucket === entry) buckets.delete(key);
    return;
  }
  removeFromList(bucket, entry);
  if (bucket.length === 1) buckets.set(key, bucket[0]!);
}

function considerBucket<T>(bucket: Bucket<T>, event: MeshEvent, stamp: number, hits: Entry<T>[]): number {
  if (!Array.isArray(bucket)) return consider(bucket, event, stamp, hits);
  let evaluated = 0;
  for (const entry of bucket) evaluated += consider(entry, event, stamp, hits);
  return evaluated;
}

/** Evaluates an entry's filter unless this match() already did; returns the number of evaluations made. */
function consider<T>(entry: Entry<T>, event: MeshEvent, stamp: number, hits: Entry<T>[]): number {
  if (entry.stamp === stamp) return 0;
  entry.stamp = stamp;
  const matches =
    entry.atomKind !== undefined
      ? atomTest(entry.atomKind, entry.atomAttribute, entry.atomValue, event)
      : entry.root !== undefined
        ? entry.root.evaluate(event) !== 'fail'
        : entry.filter.matches(event);
  if (matches) hits.push(entry);
  return 1;
}

function removeFromList<E>(list: E[], item: E): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
