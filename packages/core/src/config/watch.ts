/**
 * Reload on change: watches the config files and directories (fs.watch on the directories, so an
 * editor that saves by renaming a new file over the old one is seen too), waits for writes to
 * settle (debounce), reloads everything, and reports a valid new config with its diff. A bad
 * new file is reported through onError and the previous config stays in force.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { ConfigError, toMeshgateError } from '../errors.js';
import { type ConfigDiff, diffConfig, isEmptyDiff } from './diff.js';
import { type LoadOptions, loadConfig } from './load.js';
import type { LoadedConfig } from './loaded-config.js';

export interface WatchHandlers {
  /** A new valid config that differs from the previous one; `diff` says how. */
  onChange(config: LoadedConfig, diff: ConfigDiff): void;
  /** The files changed but do not load; the previous config stays in force. */
  onError(err: ConfigError): void;
}

export interface WatchOptions extends LoadOptions {
  /** The config in force now (what diffs are computed against). Without it, the first load is reported through onChange. */
  initial?: LoadedConfig;
  /** Quiet time after the last file event before reloading (default 200 ms). */
  debounceMs?: number;
}

export interface ConfigWatcher {
  /** Stops watching; no handler is called afterwards. */
  close(): void;
  /** The config in force (the last one reported, or `initial`). */
  current(): LoadedConfig | undefined;
}

const EMPTY: LoadedConfig = Object.freeze({
  gateway: {
    id: '',
    http: { host: '', port: 0, maxBodyBytes: 0 },
    admin: {},
    logging: { level: 'info' as const },
  },
  connections: new Map(),
  brokers: [],
  triggers: [],
  kafkaSources: [],
  kafkaSinks: [],
  sources: [],
  sinks: [],
  peers: [],
  bridges: [],
  files: [],
});

/** Watches `paths` (files or directories, as given to loadConfig) until `close()`. */
export function watchConfig(
  paths: readonly string[],
  handlers: WatchHandlers,
  options: WatchOptions = {},
): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 200;
  let current = options.initial;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let loading = false;
  let again = false;

  const reload = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const next = await loadConfig(paths, options);
      if (closed) return;
      const diff = diffConfig(current ?? EMPTY, next);
      if (current === undefined || !isEmptyDiff(diff)) {
        current = next;
        handlers.onChange(next, diff);
      }
    } catch (err) {
      if (closed) return;
      const error =
        err instanceof ConfigError ? err : new ConfigError(`reload failed: ${toMeshgateError(err).message}`);
      handlers.onError(error);
    } finally {
      loading = false;
      if (again && !closed) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
  };

  // One watcher per directory; for a file, its directory filtered to its name.
  const watched = new Map<string, Set<string> | 'any-yaml'>();
  for (const path of paths) {
    const full = resolve(path);
    let isDir = false;
    try {
      isDir = statSync(full).isDirectory();
    } catch {
      // A missing file may appear later: watch its directory for it.
    }
    if (isDir) watched.set(full, 'any-yaml');
    else {
      const dir = dirname(full);
      const entry = watched.get(dir);
      if (entry === 'any-yaml') continue;
      const names = entry ?? new Set<string>();
      names.add(basename(full));
      watched.set(dir, names);
    }
  }

  const watchers: FSWatcher[] = [];
  for (const [dir, filter] of watched) {
    try {
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        const name = filename?.toString();
        if (name === undefined) return schedule();
        // Kubernetes ConfigMap and Secret volumes swap a `..data` symlink to update their files.
        const kubernetesSwap = name.startsWith('..');
        const relevant =
          filter === 'any-yaml' ? ['.yaml', '.yml'].includes(extname(name).toLowerCase()) : filter.has(name);
        if (relevant || kubernetesSwap) schedule();
      });
      w.on('error', (err) => {
        if (!closed) handlers.onError(new ConfigError(`cannot watch ${dir}: ${err.message}`));
      });
      watchers.push(w);
    } catch (err) {
      queueMicrotask(() => {
        if (!closed) handlers.onError(new ConfigError(`cannot watch ${dir}: ${(err as Error).message}`));
      });
    }
  }

  if (current === undefined) schedule();

  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
    current: () => current,
  };
}
