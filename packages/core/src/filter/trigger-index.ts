/**
 * Finds the Triggers whose filters match an event without evaluating every filter (Knative
 * evaluates every Trigger for every event; we do not).
 *
 * Each filter states a requirement (see `requirement.ts`): clauses of exact / prefix / suffix
 * tests on attributes, one of which must hold whenever the filter does not fail. A Trigger is
 * filed under the atoms of one of its clauses (the one with the emptiest buckets when it is
 * added); a Trigger with no clause goes to a residual list. Matching an event makes one hash
 * lookup per probe (an indexed attribute for exact values; an attribute and a length for
 * prefixes and suffixes), then fully evaluates only the candidates found and the residual list.
 * The index only ever narrows the candidates, so its answer is always exactly that of evaluating
 * every filter, whichever clause it chose.
 */
import type { MeshEvent } from '../event/mesh-event.js';
import { attributeText } from './attribute-value.js';
import { TriggerFilter } from './compile.js';
import type { FilterNode } from './filter-node.js';
import type { Atom, AtomKind, Clause } from './requirement.js';
import type { CompiledFilter } from './types.js';

interface Entry<T> {
  readonly id: string;
  /** Insertion order: results come back in the order Triggers were added. */
  readonly seq: number;
  readonly filter: CompiledFilter;
  /** The compiled filter's root, called directly on the hot path; undefined for foreign filters. */
  readonly root: FilterNode | undefined;
  readonly value: T;
  /** The atoms the entry is filed under; undefined when it is in the residual list. */
  readonly clause: Clause | undefined;
  /** The last match() that looked at this entry: one entry filed under several atoms is evaluated once. */
  stamp: number;
}

/** Most buckets hold one Trigger: it is stored as is, saving a memory load per lookup. */
type Bucket<T> = Entry<T> | Entry<T>[];

/** One lookup that match() makes per event: which attribute, how to cut its value, which buckets. */
interface Probe<T> {
  readonly key: string;
  readonly kind: AtomKind;
  readonly attribute: string;
  /** The prefix or suffix length; 0 for exact. */
  readonly length: number;
  readonly buckets: Map<string, Bucket<T>>;
}

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
    const entry: Entry<T> = { id, seq: this.#seq++, filter, root: compiled?.root, value, clause, stamp: 0 };
    this.#entries.set(id, entry);
    if (clause === undefined) {
      this.#residual.push(entry);
      return;
    }
    for (const atom of clause) {
      const buckets = this.#probeFor(atom, true)!.buckets;
      const bucket = buckets.get(atom.value);
      if (bucket === undefined) buckets.set(atom.value, entry);
      else if (Array.isArray(bucket)) bucket.push(entry);
      else buckets.set(atom.value, [bucket, entry]);
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
      let key = actual;
      if (probe.kind !== 'exact') {
        if (probe.length > actual.length) continue;
        key =
          probe.kind === 'prefix'
            ? actual.slice(0, probe.length)
            : actual.slice(actual.length - probe.length);
      }
      const bucket = probe.buckets.get(key);
      if (bucket === undefined) continue;
      if (Array.isArray(bucket)) for (const entry of bucket) evaluated += consider(entry, event, stamp, hits);
      else evaluated += consider(bucket, event, stamp, hits);
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
        const bucket = this.#probeFor(atom, false)?.buckets.get(atom.value);
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
    const length = atom.kind === 'exact' ? 0 : atom.value.length;
    const key = `${atom.kind} ${length} ${atom.attribute}`;
    let probe = this.#probes.get(key);
    if (probe === undefined && create) {
      probe = { key, kind: atom.kind, attribute: atom.attribute, length, buckets: new Map() };
      this.#probes.set(key, probe);
      this.#probeList = [...this.#probes.values()];
    }
    return probe;
  }

  #removeFromAtom(atom: Atom, entry: Entry<T>): void {
    const probe = this.#probeFor(atom, false);
    const bucket = probe?.buckets.get(atom.value);
    if (probe === undefined || bucket === undefined) return;
    if (Array.isArray(bucket)) {
      removeFromList(bucket, entry);
      if (bucket.length === 1) probe.buckets.set(atom.value, bucket[0]!);
    } else if (bucket === entry) {
      probe.buckets.delete(atom.value);
    }
    // Drop an empty probe so that match() never looks up what nobody filters on.
    if (probe.buckets.size === 0) {
      this.#probes.delete(probe.key);
      this.#probeList = [...this.#probes.values()];
    }
  }
}

/** Evaluates an entry's filter unless this match() already did; returns the number of evaluations made. */
function consider<T>(entry: Entry<T>, event: MeshEvent, stamp: number, hits: Entry<T>[]): number {
  if (entry.stamp === stamp) return 0;
  entry.stamp = stamp;
  const matches =
    entry.root === undefined ? entry.filter.matches(event) : entry.root.evaluate(event) !== 'fail';
  if (matches) hits.push(entry);
  return 1;
}

function removeFromList<E>(list: E[], item: E): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
