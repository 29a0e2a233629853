import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigError } from '../errors.js';
import { type ConfigDiff, type ConfigWatcher, type LoadedConfig, loadConfig, watchConfig } from './index.js';

const broker = 'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b}\n';
const trigger = (name: string) =>
  `---\napiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: ${name}}\nspec: {broker: b, subscriber: {uri: "http://127.0.0.1:1/"}}\n`;

/**
 * Replaces a file in one step (write aside, rename over), so that a reload can never read it
 * half-written however slow the machine is.
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const aside = join(dirname(path), `.${basename(path)}.tmp`);
  await writeFile(aside, text);
  await rename(aside, path);
}

/** Collects what the watcher reports; `next()` waits for the next report. */
function recorder() {
  const events: ({ config: LoadedConfig; diff: ConfigDiff } | { error: ConfigError })[] = [];
  const waiters: (() => void)[] = [];
  const push = (e: (typeof events)[number]) => {
    events.push(e);
    waiters.shift()?.();
  };
  let taken = 0;
  return {
    handlers: {
      onChange: (config: LoadedConfig, diff: ConfigDiff) => push({ config, diff }),
      onError: (error: ConfigError) => push({ error }),
    },
    events,
    async next() {
      if (events.length <= taken) await new Promise<void>((r) => waiters.push(r));
      return events[taken++] as (typeof events)[number];
    },
  };
}

describe('watchConfig', () => {
  let dir: string;
  let watcher: ConfigWatcher | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshgate-watch-'));
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reloads a directory on change, refuses a bad file and keeps the old config, recovers', async () => {
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, broker + trigger('one'));
    const initial = await loadConfig([dir]);
    const rec = recorder();
    watcher = watchConfig([dir], rec.handlers, { initial, debounceMs: 50 });

    await replaceFile(file, broker + trigger('one') + trigger('two'));
    const added = await rec.next();
    if (!('config' in added)) throw added.error;
    expect(added.diff.triggers.added.map((t) => t.metadata.name)).toEqual(['two']);
    expect(added.diff.triggers.unchanged.map((t) => t.metadata.name)).toEqual(['one']);
    expect(watcher.current()).toBe(added.config);

    await replaceFile(file, `${broker}${trigger('one')}---\nkind: Nope\n`);
    const bad = await rec.next();
    expect('error' in bad && bad.error.message).toContain("unknown kind 'Nope'");
    expect(watcher.current()).toBe(added.config);

    // Saved the way editors do: a new file renamed over the old one.
    await writeFile(join(dir, '.mesh.yaml.tmp'), broker);
    await rename(join(dir, '.mesh.yaml.tmp'), file);
    const removed = await rec.next();
    if (!('config' in removed)) throw removed.error;
    expect(removed.diff.triggers.removed.map((t) => t.metadata.name)).toEqual(['one', 'two']);
    expect(removed.config.triggers).toHaveLength(0);
  });

  it('watches a single file and reports the first load when no initial config is given', async () => {
    const file = join(dir, 'one.yml');
    await writeFile(file, broker);
    const rec = recorder();
    watcher = watchConfig([file], rec.handlers, { debounceMs: 20 });
    const first = await rec.next();
    if (!('config' in first)) throw first.error;
    expect(first.diff.brokers.added).toHaveLength(1);

    await writeFile(join(dir, 'other.yaml'), 'not: [watched');
    await replaceFile(file, broker + trigger('t'));
    const second = await rec.next();
    if (!('config' in second)) throw second.error;
    expect(second.config.triggers.map((t) => t.metadata.name)).toEqual(['t']);
    expect(rec.events).toHaveLength(2);
  });

  it('follows a Kubernetes ConfigMap volume update (the ..data symlink swap)', async () => {
    // The layout kubelet writes: mesh.yaml -> ..data/mesh.yaml, ..data -> ..<timestamp>/
    await mkdir(join(dir, '..v1'));
    await writeFile(join(dir, '..v1', 'mesh.yaml'), broker);
    await symlink('..v1', join(dir, '..data'));
    await symlink(join('..data', 'mesh.yaml'), join(dir, 'mesh.yaml'));
    const initial = await loadConfig([dir]);
    expect(initial.brokers).toHaveLength(1);
    const rec = recorder();
    watcher = watchConfig([dir], rec.handlers, { initial, debounceMs: 50 });

    await mkdir(join(dir, '..v2'));
    await writeFile(join(dir, '..v2', 'mesh.yaml'), broker + trigger('from-v2'));
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    const update = await rec.next();
    if (!('config' in update)) throw update.error;
    expect(update.config.triggers.map((t) => t.metadata.name)).toEqual(['from-v2']);
  });
});
