/**
 * Starts a worker thread from a module next to this file. From the build (dist/*.js) the module runs as is;
 * from TypeScript sources (tests, `tsx`) the thread first registers tsx's loader — Node 20 does not apply
 * --import hooks to a worker's entry module.
 */
import { Worker } from 'node:worker_threads';

export function spawnThread(moduleUrl: URL, workerData: unknown): Worker {
  if (moduleUrl.pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
    return new Worker(code, { eval: true, workerData });
  }
  return new Worker(moduleUrl, { workerData });
}

/**
 * A thread's entry module, next to the module that declares it (pass its import.meta.url), with the extension that
 * module runs with: .ts from sources, .js from the build.
 */
export function threadModule(base: string, relative: `./${string}.js`): URL {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(relative.replace(/\.js$/, ext), base);
}
