#!/usr/bin/env node
// The stampede CLI. Runs the compiled build (npm install / npm run build creates dist/).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bench/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'stampede: the build is missing (dist/). Run `npm install` or `npm run build` in the stampede folder.\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
