/**
 * Finds the Triggers whose filters match an event without evaluating every filter (Knative
 * evaluates every Trigger for every event; we do not).
 *
 * Each filter states a requirement (see `requirement.ts`): clauses of exact / prefix / suffix
 * tests on attributes, one of which must hold whenever the filter does not fail. A Trigger is
 * filed under the atoms of one of its clauses (the one with the emptiest buckets when it is
 * added); a Trigger with no clause goes to a residual list. Matching an event looks up each
 * indexed attribute's value (one hash lookup for exact values, one per distinct prefix or suffix
 * length), then fully evaluates only those candidates and the residual list. The index only ever
 * narrows the candidates, so its answer is always exactly that of evaluating every filter.
 */
import { attributeText } from './attribute-value.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { TriggerFilter } from './compile.js';
import type { Atom, Clause } from './requirement.js';
import type { CompiledFilter } from './types.js';

interface Entry<T> {
  readonly id: string;
  /** Insertion order: results come back in the order Triggers were added. */
  readonly seq: number;
  readonly filter: CompiledFilter;
  readonly value: T;
  /** The atoms the entry is filed under; undefined when it is in the residual list. */
  readonly clause: Clause | undefined;
  /** The last match() that looked at this entry: one entry filed under several atoms is evaluated once. */
  stamp: number;
}

/** value → entries, for one attribute. */
type ValueBuckets<T> = Map<string, Entry<T>[]>;
/** affix length → affix → entries, for one attribute. */
type AffixBuckets<T> = Map<number, ValueBuckets<T>>;

export class TriggerIndex<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #exact = new Map<string, ValueBuckets<T>>();
  readonly #prefix = new Map<string, AffixBuckets<T>>();
  readonly #suffix = new Map<string, AffixBuckets<T>>();
  readonly #residual: Entry<T>[] = [];
  #seq = 0;
  #stamp = 0;

  /** Number of Triggers in the index. */
  get size(): number {
    return this.#entries.size;
  }

  /** Number of Triggers that no index covers and that every match() evaluates. */
  get residualCount(): number {
    return this.#residual.length;
  }

  /**
   * Adds a Trigger's filter under `id`, replacing any Trigger already added under that id.
   * A filter not made by compileFilter is kept in the residual list (evaluated for every event).
   */
  add(id: string, filter: CompiledFilter, value: T): void {
    this.remove(id);
    const clause = filter instanceof TriggerFilter ? this.#cheapestClause(filter.requirement) : undefined;
    const entry: Entry<T> = { id, seq: this.#seq++, filter, value, clause, stamp: 0 };
    this.#entries.set(id, entry);
    if (clause === undefined) this.#residual.push(entry);
    else for (const atom of clause) addToBucket(this.#bucketsFor(atom, true)!, atom.value, entry);
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
    for (const [attribute, byValue] of this.#exact) {
      const actual = attributeText(event, attribute);
      if (actual === undefined) continue;
      const bucket = byValue.get(actual);
      if (bucket !== undefined) consider(bucket, event, stamp, hits);
    }
    this.#matchAffixes(this.#prefix, false, event, stamp, hits);
    this.#matchAffixes(this.#suffix, true, event, stamp, hits);
    consider(this.#residual, event, stamp, hits);
    if (hits.length > 1) hits.sort((a, b) => a.seq - b.seq);
    return hits.map((e) => e.value);
  }

  #matchAffixes(
    table: Map<string, AffixBuckets<T>>,
    fromEnd: boolean,
    event: MeshEvent,
    stamp: number,
    hits: Entry<T>[],
  ): void {
    for (const [attribute, byLength] of table) {
      const actual = attributeText(event, attribute);
      if (actual === undefined) continue;
      for (const [length, byAffix] of byLength) {
        if (length > actual.length) continue;
        const affix = fromEnd ? actual.slice(actual.length - length) : actual.slice(0, length);
        const bucket = byAffix.get(affix);
        if (bucket !== undefined) consider(bucket, event, stamp, hits);
      }
    }
  }

  /** The clause whose atoms' buckets hold the fewest Triggers now (exact preferred on ties). */
  #cheapestClause(requirement: readonly Clause[]): Clause | undefined {
    let best: Clause | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const clause of requirement) {
      let cost = 0;
      for (const atom of clause) {
        cost +=
          (this.#bucketsFor(atom, false)?.get(atom.value)?.length ?? 0) + (atom.kind === 'exact' ? 1 : 1.5);
      }
      if (cost < bestCost) {
        best = clause;
        bestCost = cost;
      }
    }
    return best;
  }

  /** The value → entries map an atom files into, created on demand when `create` is set. */
  #bucketsFor(atom: Atom, create: boolean): ValueBuckets<T> | undefined {
    if (atom.kind === 'exact') return getOrCreate(this.#exact, atom.attribute, create);
    const table = atom.kind === 'prefix' ? this.#prefix : this.#suffix;
    const byLength = getOrCreate(table, atom.attribute, create);
    return byLength === undefined ? undefined : getOrCreate(byLength, atom.value.length, create);
  }

  #removeFromAtom(atom: Atom, entry: Entry<T>): void {
    const buckets = this.#bucketsFor(atom, false);
    const bucket = buckets?.get(atom.value);
    if (buckets === undefined || bucket === undefined) return;
    removeFromList(bucket, entry);
    if (bucket.length > 0) return;
    // Drop empty maps so that match() never walks attributes or lengths nobody filters on.
    buckets.delete(atom.value);
    if (buckets.size > 0) return;
    if (atom.kind === 'exact') {
      this.#exact.delete(atom.attribute);
      return;
    }
    const table = atom.kind === 'prefix' ? this.#prefix : this.#suffix;
    const byLength = table.get(atom.attribute);
    byLength?.delete(atom.value.length);
    if (byLength?.size === 0) table.delete(atom.attribute);
  }
}

function consider<T>(entries: readonly Entry<T>[], event: MeshEvent, stamp: number, hits: Entry<T>[]): void {
  for (const entry of entries) {
    if (entry.stamp === stamp) continue;
    entry.stamp = stamp;
    if (entry.filter.matches(event)) hits.push(entry);
  }
}

/** The map under `key`, created empty when missing and `create` is set. */
function getOrCreate<K, K2, V>(map: Map<K, Map<K2, V>>, key: K, create: boolean): Map<K2, V> | undefined {
  let value = map.get(key);
  if (value === undefined && create) {
    value = new Map<K2, V>();
    map.set(key, value);
  }
  return value;
}

function addToBucket<T>(buckets: ValueBuckets<T>, key: string, entry: Entry<T>): void {
  const bucket = buckets.get(key);
  if (bucket === undefined) buckets.set(key, [entry]);
  else bucket.push(entry);
}

function removeFromList<E>(list: E[], item: E): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
