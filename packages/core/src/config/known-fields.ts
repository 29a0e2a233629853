/**
 * The fields a schema accepts at a path, for "unknown field" messages that say what was meant:
 * `unknown field 'retries' (did you mean 'retry'?)`. Walks zod's schema definitions.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
  innerType?: z.ZodType;
  getter?: () => z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The object schemas (several through unions) found at `path` below `schema`. */
function objectsAt(schema: z.ZodType, path: readonly PropertyKey[], depth = 0): Def[] {
  if (depth > 64) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'pipe':
      return def.in ? objectsAt(def.in, path, depth + 1) : [];
    case 'lazy':
      return def.getter ? objectsAt(def.getter(), path, depth + 1) : [];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return def.innerType ? objectsAt(def.innerType, path, depth + 1) : [];
    case 'union':
      return (def.options ?? []).flatMap((o) => objectsAt(o, path, depth + 1));
    case 'object': {
      if (path.length === 0) return [def];
      const key = String(path[0]);
      const next = def.shape && Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
      return next ? objectsAt(next, path.slice(1), depth + 1) : [];
    }
    case 'array':
      return path.length > 0 && def.element ? objectsAt(def.element, path.slice(1), depth + 1) : [];
    case 'record':
      return path.length > 0 && def.valueType ? objectsAt(def.valueType, path.slice(1), depth + 1) : [];
    default:
      return [];
  }
}

/** Field names accepted at `path` (the object holding the unknown field). */
export function knownFieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const names = new Set<string>();
  for (const def of objectsAt(schema, path)) for (const key of Object.keys(def.shape ?? {})) names.add(key);
  return [...names];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** `unknown field 'x'`, with the closest known field or the list of known ones. */
export function unknownFieldMessage(key: string, known: readonly string[]): string {
  if (known.length === 0) return `unknown field '${key}'`;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    // On a tie, the name of the same length wins (`filterz` is `filters`, not `filter`).
    const d = distance(key, name) + (name.length === key.length ? 0 : 0.5);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  const sharedPrefix = (name: string) => {
    let n = 0;
    while (n < key.length && n < name.length && key[n]?.toLowerCase() === name[n]?.toLowerCase()) n++;
    return n;
  };
  // A long shared start (`retries` / `retry`) counts as close too.
  const byPrefix = known.find((name) => sharedPrefix(name) >= Math.max(4, Math.ceil(key.length / 2)));
  if (Math.floor(bestDistance) > Math.max(1, Math.floor(key.length / 3)) && byPrefix !== undefined) {
    best = byPrefix;
    bestDistance = 0;
  }
  if (best !== undefined && Math.floor(bestDistance) <= Math.max(1, Math.floor(key.length / 3))) {
    return `unknown field '${key}' (did you mean '${best}'?)`;
  }
  return `unknown field '${key}' (known: ${known.join(', ')})`;
}
