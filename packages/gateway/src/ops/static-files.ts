/**
 * The page's files: packages/gateway/ui as is (no build step: `/ui` is index.html, the rest is
 * under `/ui/assets/`) and cytoscape's ES module from node_modules. Only known files are served; no path from the request reaches the file system.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));
export const OPENAPI_FILE = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.yaml': 'application/yaml; charset=utf-8',
};

export interface StaticFile {
  body: Buffer;
  type: string;
}

/** Maps `/ui/...` request paths to files, read once and kept (they are small). */
export class StaticFiles {
  private files: Promise<Map<string, string>> | undefined;
  private readonly cache = new Map<string, StaticFile>();

  async get(urlPath: string): Promise<StaticFile | undefined> {
    const cached = this.cache.get(urlPath);
    if (cached) return cached;
    const file = (await this.index()).get(urlPath);
    if (!file) return undefined;
    const ext = file.slice(file.lastIndexOf('.'));
    const entry = { body: await readFile(file), type: TYPES[ext] ?? 'application/octet-stream' };
    this.cache.set(urlPath, entry);
    return entry;
  }

  private index(): Promise<Map<string, string>> {
    this.files ??= (async () => {
      const map = new Map<string, string>();
      // Assets live two levels down: `/ui/<x>` is the ingress path of a Broker `x` in namespace `ui`.
      for (const name of await readdir(UI_DIR)) {
        if (name === 'index.html') {
          map.set('/ui', join(UI_DIR, name));
          map.set('/ui/', join(UI_DIR, name));
        } else {
          map.set(`/ui/assets/${name}`, join(UI_DIR, name));
        }
      }
      const cytoscape = dirname(createRequire(import.meta.url).resolve('cytoscape'));
      map.set('/ui/assets/cytoscape.esm.min.mjs', join(cytoscape, 'cytoscape.esm.min.mjs'));
      return map;
    })();
    return this.files;
  }
}
