/**
 * The long fuzzing run: `npx tsx bench/security/fuzz.ts [--seconds 60]` (see fuzz-run.ts). It
 * re-runs itself with `--conditions=meshgate-source` so that packages resolve to src.
 */
import { spawnSync } from 'node:child_process';

if (!process.execArgv.some((a) => a.includes('meshgate-source'))) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=meshgate-source', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}
await import('./fuzz-run.js');
