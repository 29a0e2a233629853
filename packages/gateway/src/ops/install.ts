/**
 * Installs the operability features on a Gateway: recent dead letters, live tails, topology,
 * readiness, the OpenAPI file, the page at `/ui`, and the admin token over all of `/api/v1/`.
 */
import type { Logger } from '@meshgate/core';
import type { Gateway } from '../gateway.js';
import { tokenChecker } from './auth.js';
import { DeadLetterLog, DEFAULT_DEAD_LETTERS_PER_TRIGGER } from './dead-letters.js';
import { TailHub } from './live-tail.js';
import { opsRoutes } from './routes.js';
import type { ConnectorsView } from './topology.js';
import type { Tracing } from './tracing.js';

export interface OpsOptions {
  logger?: Logger;
  /** Bearer token the admin API requires (the Gateway resource's `spec.admin.token`); absent: open. */
  adminToken?: string | undefined;
  /** Dead letters kept per Trigger (default 100). */
  deadLettersPerTrigger?: number;
  /** Window the topology's rates are computed over (default 5 s). */
  rateWindowMs?: number;
  /** The tracing the Gateway was built with (its pending spans are exported on stop). */
  tracing?: Tracing | undefined;
  /** The connector runtime (`createConnectorRuntime()`): its Sources and Sinks join the topology. */
  connectors?: ConnectorsView | undefined;
}

export interface Ops {
  deadLetters: DeadLetterLog;
  tails: TailHub;
  /** Ends open live tails (their clients see the stream end). */
  close(): void;
}

export function installOps(gateway: Gateway, options: OpsOptions = {}): Ops {
  const deadLetters = new DeadLetterLog(options.deadLettersPerTrigger ?? DEFAULT_DEAD_LETTERS_PER_TRIGGER);
  const tails = new TailHub();
  gateway.addObserver(deadLetters.observer);
  gateway.addObserver(tails.observer);
  const authorized = tokenChecker(options.adminToken);
  gateway.addRoute(
    opsRoutes({
      gateway,
      deadLetters,
      tails,
      ...(authorized && { authorized }),
      ...(options.rateWindowMs !== undefined && { rateWindowMs: options.rateWindowMs }),
      ...(options.connectors && { connectors: options.connectors }),
    }),
  );
  // Open tails would keep the HTTP server from closing, and batched spans would be lost: end
  // both when the gateway stops. (The Gateway has no stop hook; wrapping its method is the seam.)
  const stop = gateway.stop.bind(gateway);
  gateway.stop = async () => {
    tails.closeAll();
    await stop();
    await options.tracing
      ?.shutdown()
      .catch((err: unknown) => options.logger?.warn({ err }, 'span export failed'));
  };
  options.logger?.debug({ token: Boolean(authorized) }, 'admin API, live tail and /ui installed');
  return { deadLetters, tails, close: () => tails.closeAll() };
}
