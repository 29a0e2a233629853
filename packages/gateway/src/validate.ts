/** `meshgate validate`: loads the files as `start` would and reports every problem. */
import { ConfigError, loadConfig, silentLogger } from '@meshgate/core';
import { egressCas, ListenerTls, listenerTlsOptions } from './http/tls.js';
import { modelFromConfig } from './model-from-config.js';

export async function validateFiles(paths: string[], print: (line: string) => void): Promise<boolean> {
  try {
    const config = await loadConfig(paths);
    // What `start` would refuse on top of the loader's checks (e.g. kinds not run yet).
    modelFromConfig(config, { selfUrl: 'http://127.0.0.1:8080' });
    // The listener's certificate files and the egress CA, read as `start` reads them.
    const tls = listenerTlsOptions(config.gateway);
    if (tls) new ListenerTls(tls, silentLogger);
    egressCas(config.gateway);
    const count =
      config.brokers.length +
      config.triggers.length +
      config.kafkaSources.length +
      config.kafkaSinks.length +
      config.sources.length +
      config.sinks.length +
      config.peers.length +
      config.bridges.length +
      config.connections.size;
    print(`ok: ${count} resources in ${config.files.length} file(s)`);
    return true;
  } catch (err) {
    if (err instanceof ConfigError) {
      print(err.message);
      return false;
    }
    throw err;
  }
}
