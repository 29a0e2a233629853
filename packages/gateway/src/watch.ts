/**
 * Calls `onChange` (debounced) when any of the given files, or any file in the given
 * directories, changes. Editors replace files by rename, so directories are watched rather than
 * file handles, which a rename would orphan.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export function watchPaths(
  paths: string[],
  onChange: () => void | Promise<void>,
  debounceMs = 200,
): { close(): void } {
  const watchers: FSWatcher[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = Promise.resolve();
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // One reload at a time, in order.
      running = running.then(() => onChange()).catch(() => {});
    }, debounceMs);
  };
  for (const p of paths) {
    const full = resolve(p);
    const isDir = statSync(full, { throwIfNoEntry: false })?.isDirectory() ?? false;
    const dir = isDir ? full : dirname(full);
    const name = basename(full);
    watchers.push(
      watch(dir, (_event, file) => {
        if (isDir || file === null || file === name) fire();
      }),
    );
  }
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
