/** stampede's version, read once from its package.json (found upward from this module, in sources or dist/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): { version: string; root: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'stampede') return { version: pkg.version ?? '0.0.0', root: dir };
    }
    const up = dirname(dir);
    if (up === dir) return { version: '0.0.0', root: process.cwd() };
    dir = up;
  }
}

const found = find();
export const TOOL_VERSION = found.version;
/** The package root (where package.json is). */
export const PACKAGE_ROOT = found.root;
