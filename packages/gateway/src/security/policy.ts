/**
 * Who may send to which Addressable, in the spirit of Knative's EventPolicy: a policy names the
 * Addressables it applies to (`to`; none: all of them), the senders it lets in (`from`: static
 * token names or JWT subjects, a trailing `*` matching any suffix) and, optionally, `filters` in
 * the Trigger dialects that every event those senders send must pass. Policies are ORed: a
 * request is let in when one policy applying to its target lets its sender in.
 *
 * @see https://knative.dev/docs/eventing/features/authorization/
 */
import { compileFilter, type CompiledFilter, type SubscriptionsApiFilter } from '@meshgate/core';

export interface PolicySpec {
  name: string;
  /** The Addressables this policy applies to; absent or empty: every one. */
  to?: readonly { kind?: 'broker' | 'sink' | 'bridge'; namespace: string; name: string }[];
  /** The senders let in: `{token: name}` or `{sub: jwt-subject}`, each exact or with a trailing `*`. */
  from: readonly ({ token: string } | { sub: string })[];
  /** Trigger-dialect filters every event must pass (ANDed, as in a Trigger). */
  filters?: readonly SubscriptionsApiFilter[];
}

/** An authenticated sender: a static token's name, or a JWT's subject. */
export interface Principal {
  kind: 'token' | 'jwt';
  name: string;
}

export interface CompiledPolicy {
  name: string;
  appliesTo(kind: string, key: string): boolean;
  admits(principal: Principal): boolean;
  filter: CompiledFilter | undefined;
}

/** @throws ConfigError when a filter is invalid (its path names the policy). */
export function compilePolicies(specs: readonly PolicySpec[]): CompiledPolicy[] {
  return specs.map((spec, i) => {
    const to = (spec.to ?? []).map((t) => ({ kind: t.kind, key: `${t.namespace}/${t.name}` }));
    const tokens = spec.from.flatMap((f) => ('token' in f ? [matcher(f.token)] : []));
    const subjects = spec.from.flatMap((f) => ('sub' in f ? [matcher(f.sub)] : []));
    const filter =
      spec.filters && spec.filters.length > 0
        ? compileFilter({ filters: [...spec.filters] }, `policies[${i}]`)
        : undefined;
    return {
      name: spec.name,
      appliesTo: (kind, key) =>
        to.length === 0 || to.some((t) => t.key === key && (t.kind === undefined || t.kind === kind)),
      admits: (p) => (p.kind === 'token' ? tokens : subjects).some((m) => m(p.name)),
      filter,
    };
  });
}

/** `abc` matches exactly; `abc*` matches anything starting with `abc`; `*` anything. */
function matcher(pattern: string): (name: string) => boolean {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (name) => name.startsWith(prefix);
  }
  return (name) => name === pattern;
}
