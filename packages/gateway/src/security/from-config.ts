/**
 * Gateway `spec.security` (as loaded) into the guard's and the egress guard's options. The shape
 * is the Gateway kind's (packages/core/src/config/meshgate.ts); secrets arrive resolved.
 */
import type { Logger, SecretValue, SubscriptionsApiFilter } from '@meshgate/core';
import type { EgressOptions } from '@meshgate/knative';
import type { DefaultMode, SecurityOptions } from './guard.js';
import type { SlowClientLimits } from './slow-clients.js';

/** Gateway `spec.security` after loading. */
export interface SecuritySettings {
  auth?: {
    tokens?: readonly { name: string; value: SecretValue }[];
    jwt?: {
      issuer: string;
      audience?: string;
      jwksUrl?: string;
      keysFile?: string;
      algorithms?: readonly string[];
      clockToleranceSeconds?: number;
    };
  };
  defaultMode?: DefaultMode;
  policies?: readonly {
    name: string;
    to?: readonly { kind?: 'Broker' | 'Sink' | 'Bridge'; namespace: string; name: string }[];
    from: readonly ({ token: string } | { sub: string })[];
    filters?: readonly SubscriptionsApiFilter[];
  }[];
  limits?: {
    maxHeaderBytes?: number;
    maxBatchSize?: number;
    maxAttributes?: number;
    maxAttributeBytes?: number;
    headersTimeoutMs?: number;
    requestTimeoutMs?: number;
    rate?: {
      perAddressable?: { perSecond: number; burst?: number };
      perSender?: { perSecond: number; burst?: number };
    };
  };
  egress?: {
    allowCidrs?: readonly string[];
    denyCidrs?: readonly string[];
    allowRedirects?: boolean;
    /** Read by the gateway (http/tls.ts egressCas), not by the egress guard. */
    caFile?: string;
  };
}

/** The guard's options; `{}` (open, default limits) when there is no `security` block. */
export function securityOptions(settings: SecuritySettings | undefined, logger?: Logger): SecurityOptions {
  const s = settings ?? {};
  const out: SecurityOptions = {};
  if (logger) out.logger = logger;
  if (s.auth?.tokens) out.tokens = s.auth.tokens;
  if (s.auth?.jwt) {
    const { algorithms, ...jwt } = s.auth.jwt;
    out.jwt = { ...jwt, ...(algorithms && { algorithms: [...algorithms] }) };
  }
  if (s.defaultMode) out.defaultMode = s.defaultMode;
  if (s.policies)
    out.policies = s.policies.map((p) => ({
      name: p.name,
      from: p.from,
      ...(p.to && {
        to: p.to.map((t) => ({
          namespace: t.namespace,
          name: t.name,
          ...(t.kind && { kind: t.kind.toLowerCase() as 'broker' | 'sink' | 'bridge' }),
        })),
      }),
      ...(p.filters && { filters: p.filters }),
    }));
  const { rate, headersTimeoutMs: _h, requestTimeoutMs: _r, ...sizes } = s.limits ?? {};
  out.limits = sizes;
  if (rate) out.rateLimits = rate;
  return out;
}

/** Options for the HTTP sender's egress guard (defaults when absent). */
export function egressOptions(settings: SecuritySettings | undefined): EgressOptions {
  const e = settings?.egress ?? {};
  return {
    ...(e.allowCidrs && { allowCidrs: e.allowCidrs }),
    ...(e.denyCidrs && { denyCidrs: e.denyCidrs }),
    ...(e.allowRedirects !== undefined && { allowRedirects: e.allowRedirects }),
  };
}

/** Slow-client timeouts for the HTTP server. */
export function slowClientLimits(settings: SecuritySettings | undefined): Partial<SlowClientLimits> {
  const l = settings?.limits ?? {};
  return {
    ...(l.headersTimeoutMs !== undefined && { headersTimeoutMs: l.headersTimeoutMs }),
    ...(l.requestTimeoutMs !== undefined && { requestTimeoutMs: l.requestTimeoutMs }),
  };
}
