import { attributeString } from '../event/mesh-event.js';
import type { MeshEvent } from '../event/mesh-event.js';

/**
 * An attribute's value in canonical string form, or undefined when the event does not have it.
 * Every filter and the index read attributes through this one function, so that they agree.
 * Only own attributes count: `constructor` is a valid attribute name, and an event without it
 * must not see `Object.prototype.constructor` instead.
 */
export function attributeText(event: MeshEvent, name: string): string | undefined {
  const attributes = event.attributes;
  const value = attributes[name];
  // The common case first: a String attribute (Object.prototype has no string-valued members).
  if (typeof value === 'string') return value;
  if (value === undefined || !Object.hasOwn(attributes, name)) return undefined;
  return attributeString(event, name);
}
