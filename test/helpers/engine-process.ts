/**
 * `stampede engine` as a child process, the way a user runs it: a crash shows as the process exiting, and a test can
 * SIGKILL it, SIGTERM it and time how long it takes to go.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { BIN } from './cli.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EngineProcess {
  readonly address: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exit: Promise<ProcessExit>;
  /** Set once the process exited (a crash, or our own stop). */
  exited(): ProcessExit | undefined;
  /** What it printed (stdout + stderr; the last MiB). */
  output(): string;
  /** The last `n` lines it printed, for failure messages. */
  tail(n?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

const KEEP_BYTES = 1024 * 1024;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `stampede engine <args>` (on a free port unless `--port` is given); resolves once it serves. */
export async function spawnEngine(args: string[] = [], startTimeoutMs = 60_000): Promise<EngineProcess> {
  const portArgs = args.includes('--port') ? [] : ['--port', '0'];
  const child = spawn(process.execPath, [BIN, 'engine', ...portArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let exitInfo: ProcessExit | undefined;
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 2 * KEEP_BYTES) out = out.slice(-KEEP_BYTES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exit = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    }),
  );
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`engine did not start in ${startTimeoutMs} ms:\n${out}`)),
      startTimeoutMs,
    );
    const check = (): void => {
      const m = /serving WorkflowService on (\S+)/.exec(out);
      if (!m?.[1]) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve(m[1]);
    };
    child.stdout.on('data', check);
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`engine exited (${e.code ?? e.signal}) before serving:\n${out}`));
    });
  });
  return {
    address,
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    child,
    exit,
    exited: () => exitInfo,
    output: () => out,
    tail: (n = 40) => out.trimEnd().split('\n').slice(-n).join('\n'),
    async stop(graceMs = 5000) {
      if (exitInfo) return exitInfo;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const e = await exit;
      clearTimeout(killer);
      return e;
    },
  };
}
