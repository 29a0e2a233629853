/**
 * `meshgate start`: load the configuration, run the gateway, reload on change, stop cleanly on
 * SIGINT/SIGTERM (in-flight deliveries end, nothing new is accepted).
 */
import { ConfigError, type LoadedConfig, loadConfig, watchConfig } from '@meshgate/core';
import { createConnectorRuntime } from './connectors/index.js';
import { Gateway } from './gateway.js';
import { tuneHeap } from './heap.js';
import { egressCas, listenerTlsOptions } from './http/tls.js';
import { asCoreLogger, createLogger } from './logger.js';
import { modelFromConfig } from './model-from-config.js';
import { installOps, tracingFromEnv } from './ops/index.js';
import {
  egressOptions,
  exposureWarning,
  SecurityGuard,
  securityOptions,
  slowClientLimits,
} from './security/index.js';

export interface StartOptions {
  file: string[];
  port?: number;
  host?: string;
  watch: boolean;
}

export async function runStart(options: StartOptions): Promise<void> {
  // Before the config loads: parsing 10,000 Triggers' YAML is the first heap growth.
  const heapGrowth = tuneHeap(process.env);
  const config = await loadConfig(options.file);
  const logger = createLogger({ level: process.env.MESHGATE_LOG_LEVEL ?? config.gateway.logging.level });
  const log = asCoreLogger(logger);
  const tracing = tracingFromEnv(process.env, { gatewayId: config.gateway.id, logger: log });
  const connectors = createConnectorRuntime({ logger: log });
  // Ingress authentication, policies and limits (docs/security.md); open when not configured.
  const guard = new SecurityGuard(securityOptions(config.gateway.security, log));
  const tls = listenerTlsOptions(config.gateway);
  const cas = egressCas(config.gateway);
  const gateway = new Gateway({
    logger: log,
    connectors,
    guard,
    egress: egressOptions(config.gateway.security),
    slowClients: slowClientLimits(config.gateway.security),
    ...(tracing && { tracer: tracing.tracer }),
    // https listener (docs/security.md#tls); CAs trusted for https deliveries besides node's.
    ...(tls && { tls }),
    ...(cas && { egressCas: cas }),
  });
  installOps(gateway, { logger: log, adminToken: config.gateway.admin.token?.reveal(), tracing, connectors });
  const host = options.host ?? config.gateway.http.host;
  const port = options.port ?? config.gateway.http.port;
  await gateway.listen(host, port);
  const exposed = exposureWarning(host, guard);
  if (exposed) logger.warn({ host }, exposed);
  const apply = async (next: LoadedConfig) => {
    // A bad security block throws a ConfigError here, before anything changes.
    if (next !== config) guard.configure(securityOptions(next.gateway.security, log));
    const model = modelFromConfig(next, { selfUrl: gateway.url });
    await gateway.apply(model, next);
  };
  try {
    await apply(config);
  } catch (err) {
    // Nothing runs half-configured: the listener and connectors close, the CLI reports the error.
    await gateway.stop().catch(() => {});
    await tracing?.shutdown().catch(() => {});
    throw err;
  }
  logger.info(
    {
      id: config.gateway.id,
      url: gateway.url,
      brokers: config.brokers.length,
      triggers: config.triggers.length,
      files: config.files,
      heapGrowthPercent: heapGrowth,
    },
    'meshgate started',
  );

  // Reloads run one after another; a bad new file changes nothing: the running config stays.
  let reloading = Promise.resolve();
  const refused = (err: unknown) =>
    logger.error(
      { err: err instanceof ConfigError ? err.message : err },
      'configuration refused; keeping the running one',
    );
  const watcher = options.watch
    ? watchConfig(
        options.file,
        {
          onChange: (next) => {
            reloading = reloading
              .then(() => apply(next))
              .then(() => logger.info({ files: next.files }, 'configuration reloaded'), refused);
          },
          onError: refused,
        },
        { initial: config },
      )
    : undefined;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    watcher?.close();
    await gateway.stop();
    logger.flush?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
