/**
 * The gateway the auth benchmark measures, in its own process: one memory Broker `bench/default`,
 * with the SecurityGuard verifying JWTs (AUTH=jwt, keys from KEYS_FILE; AUTH=jwt-nocache verifies
 * every request) or no guard (AUTH=off). Prints `listening <port>`.
 * Run with `node --conditions=meshgate-source --import tsx` (auth.bench.ts does).
 */
import { parseConfigText, silentLogger } from '@meshgate/core';
import { Gateway, modelFromConfig } from '@meshgate/gateway';
import { SecurityGuard } from '../../packages/gateway/src/security/index.js';

const auth = process.env.AUTH ?? 'off';
const guard =
  auth === 'off'
    ? undefined
    : new SecurityGuard({
        jwt: {
          issuer: 'https://issuer.bench',
          keysFile: process.env.KEYS_FILE as string,
          cacheVerified: auth !== 'jwt-nocache',
        },
        policies: [{ name: 'bench', from: [{ sub: 'system:serviceaccount:bench:*' }] }],
      });
const gateway = new Gateway({ logger: silentLogger, ...(guard && { guard }) });
await gateway.listen('127.0.0.1', 0);
await gateway.apply(
  modelFromConfig(
    parseConfigText(
      'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata:\n  name: default\n  namespace: bench\n',
      'bench.yaml',
    ),
    { selfUrl: gateway.url },
  ),
);
console.log(`listening ${new URL(gateway.url).port}`);
