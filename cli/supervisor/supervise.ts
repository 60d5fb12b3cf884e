/**
 * The supervisor of `stampede engine --members N`: starts each member as its own `stampede engine` process (one
 * Node.js event loop each, so N members use N cores), prefixes their output with the member, reports a member that
 * exits without being asked (the others keep serving; the cluster re-owns its shards), and on SIGTERM/SIGINT stops
 * every member within a bound: SIGTERM first, SIGKILL for those still running when the bound is up (a second signal
 * kills at once). Exits 0 when every member stopped on request, 1 when any died by itself or had to be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { memberArgs, type MemberSpec } from './member-argv.js';

export interface SuperviseOptions {
  members: MemberSpec[];
  /** Flags passed to every member (member-argv.ts). */
  passThrough: string[];
  stopTimeoutMs: number;
  /** Where the supervisor's own lines and the members' prefixed lines go. */
  out: (line: string) => void;
  /** How to run `stampede` (default: this process's Node.js and script). */
  command?: { file: string; args: string[] };
}

interface Member {
  spec: MemberSpec;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
  exit?: string;
}

const SERVING = /serving WorkflowService on (\S+)/;

export async function supervise(o: SuperviseOptions): Promise<number> {
  const command = o.command ?? { file: process.execPath, args: [...process.execArgv, process.argv[1] ?? ''] };
  let failed = false;
  let stopRequested = false;
  const serving = new Set<number>();
  const members: Member[] = o.members.map((spec) => {
    const tag = `[member ${spec.index} :${spec.port}]`;
    const child = spawn(command.file, [...command.args, ...memberArgs(o.passThrough, spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    const m: Member = { spec, child, stopping: false, exited: Promise.resolve() };
    o.out(`stampede engine: member ${spec.index} starting (pid ${String(child.pid)}, ${spec.advertiseAddress})`);
    for (const stream of [child.stdout, child.stderr])
      if (stream)
        createInterface({ input: stream }).on('line', (line) => {
          o.out(`${tag} ${line}`);
          if (SERVING.test(line) && !serving.has(spec.index)) {
            serving.add(spec.index);
            if (serving.size === o.members.length)
              o.out(
                `stampede engine: ${o.members.length} members serving; drive them with --target ${o.members.map((s) => s.advertiseAddress).join(',')}`,
              );
          }
        });
    m.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        m.exit = `could not start: ${err.message}`;
        resolve();
      });
      child.once('exit', (code, signal) => {
        m.exit = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
        resolve();
      });
    }).then(() => {
      const alive = members.filter((x) => x.exit === undefined).length;
      if (!m.stopping) {
        failed = true;
        o.out(
          `stampede engine: member ${spec.index} (${spec.advertiseAddress}, pid ${String(child.pid)}) ${m.exit ?? 'exited'} without being asked; ${alive} of ${members.length} running`,
        );
      }
    });
    return m;
  });

  const stopAll = (why: string): Promise<void> => {
    stopRequested = true;
    const live = members.filter((m) => m.exit === undefined).length;
    o.out(`stampede engine: ${why}: stopping ${live} member(s) (at most ${o.stopTimeoutMs} ms)`);
    for (const m of members)
      if (m.exit === undefined) {
        m.stopping = true;
        m.child.kill('SIGTERM');
      }
    const bound = setTimeout(() => {
      for (const m of members)
        if (m.exit === undefined) {
          failed = true;
          o.out(`stampede engine: member ${m.spec.index} still running after ${o.stopTimeoutMs} ms: SIGKILL`);
          m.child.kill('SIGKILL');
        }
    }, o.stopTimeoutMs);
    return Promise.all(members.map((m) => m.exited)).then(() => clearTimeout(bound));
  };

  const allExited = Promise.all(members.map((m) => m.exited));
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      o.out(`stampede engine: ${signal} again: killing the members now`);
      for (const m of members) if (m.exit === undefined) m.child.kill('SIGKILL');
      return;
    }
    stopping = stopAll(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Until every member has exited: asked to (a signal) or by itself (each is reported as it goes).
    await allExited;
    await stopping;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!stopRequested) o.out('stampede engine: every member has exited');
  else o.out(`stampede engine: stopped${failed ? ' (a member had exited by itself or was killed: exit 1)' : ''}`);
  return failed ? 1 : 0;
}
