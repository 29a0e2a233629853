/**
 * Pub/Sub resource names: a short name (`orders`) or a full one (`projects/p/topics/orders`).
 * @see https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names
 */
import { ConfigError } from '@meshgate/core';

/** 3-255 characters, starting with a letter; letters, digits and `-_.~+%`; not `goog...`. */
const RESOURCE_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

export type ResourceKind = 'topics' | 'subscriptions';

/** The full name `projects/<project>/<kind>/<id>` of a short or full name. */
export function fullName(projectId: string, kind: ResourceKind, name: string): string {
  return name.startsWith('projects/') ? name : `projects/${projectId}/${kind}/${name}`;
}

/** The id part of a short or full name. */
export function shortName(name: string): string {
  const at = name.lastIndexOf('/');
  return at === -1 ? name : name.slice(at + 1);
}

/** Throws a ConfigError when `name` is not a valid topic or subscription name. */
export function checkResourceName(kind: ResourceKind, name: string, path: string): void {
  const id = shortName(name);
  const full = /^projects\/[^/]+\/(topics|subscriptions)\/[^/]+$/;
  if (name.startsWith('projects/') && !(full.test(name) && name.split('/')[2] === kind)) {
    throw new ConfigError(`${path}: "${name}" is not a full ${kind} name (projects/<project>/${kind}/<id>)`, [
      { path, message: `not a full ${kind} name` },
    ]);
  }
  if (!RESOURCE_ID.test(id) || id.toLowerCase().startsWith('goog')) {
    throw new ConfigError(
      `${path}: "${id}" is not a valid Pub/Sub ${kind === 'topics' ? 'topic' : 'subscription'} id (3-255 characters, a letter first, then letters, digits or -_.~+%, not starting with "goog")`,
      [{ path, message: 'invalid Pub/Sub resource id' }],
    );
  }
}

/**
 * A valid subscription id derived from any string (a Trigger's `<namespace>.<broker>.<trigger>`):
 * invalid characters become `-`, a letter is put first when needed, and an over-long name is
 * cut and suffixed with a hash so that two long names stay distinct.
 */
export function toResourceId(raw: string): string {
  let id = raw.replace(/[^A-Za-z0-9\-_.~+]/g, '-');
  if (!/^[A-Za-z]/.test(id) || id.toLowerCase().startsWith('goog')) id = `m-${id}`;
  while (id.length < 3) id += '-';
  if (id.length > 255) id = `${id.slice(0, 240)}-${hash(raw)}`;
  return id;
}

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
