#!/usr/bin/env node
// The stampede CLI. Runs the compiled build (npm install / npm run build creates dist/).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'stampede: the build is missing (dist/). Run `npm install` or `npm run build` in the stampede folder.\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
// Exit as soon as the command is done: a store driver can leave sockets or timers behind (cassandra-driver after a
// node restart), and a finished command must not hang on them. stdout and stderr are synchronous for files and
// pipes on POSIX, so nothing written is lost.
process.exit(await main(process.argv.slice(2)));
