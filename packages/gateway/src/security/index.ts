/** Ingress security: authentication, policies, rate limits, size limits and slow-client timeouts. */
export { exposureWarning, isLoopbackHost } from './exposure.js';
export { type DefaultMode, SecurityGuard, type SecurityOptions } from './guard.js';
export {
  DEFAULT_AUDIENCE_PREFIX,
  JwksUnavailable,
  type JwtIdentity,
  type JwtOptions,
  JwtRejected,
  JwtVerifier,
} from './jwt.js';
export { checkEventLimits, checkHeaderSize, DEFAULT_LIMITS, type IngressLimits } from './limits.js';
export { type CompiledPolicy, compilePolicies, type PolicySpec, type Principal } from './policy.js';
export { RateLimiter, type RateSpec } from './rate-limit.js';
export { DEFAULT_SLOW_CLIENT_LIMITS, limitSlowClients, type SlowClientLimits } from './slow-clients.js';
export { type StaticToken, StaticTokens } from './tokens.js';
export { egressOptions, type SecuritySettings, securityOptions, slowClientLimits } from './from-config.js';
