/**
 * Benchmark (not a test): the engine's update path on Cassandra for a signal — a current-row read, a history insert
 * and one conditional batch per workflow transaction, the writes serialized per shard (shardIOConcurrency 1) — at
 * 1, 4, 16 and 64 shards, beside the same statements issued directly with cassandra-driver at the same concurrency
 * (two callers per shard, one write in flight per shard), in the same run. The engine runs twice: with its signal
 * handler called in-process (the update path against the bare LWT pattern: the figure with the 0.7 target) and
 * with signals sent over loopback gRPC from a client thread (the same path plus an RPC per transaction). All three
 * are set up once and then measured in rotating short rounds, so that load from elsewhere on a shared machine (or
 * on a shared Cassandra) falls on all alike.
 *
 *   npm run bench:lwt [-- --seconds 8 --shards 1,4,16,64]        (starts the bundled Cassandra 2.1)
 *   STAMPEDE_TEST_CASSANDRA=host:port npm run bench:lwt          (an external cluster)
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import cassandra from 'cassandra-driver';
import * as hdr from 'hdr-histogram-js';
import { createCassandraSchema, startEngine } from '../../engine/index.js';
import { LoadThread } from './engine-throughput.js';
import { signalLoop } from './load-thread.js';
import { testCassandra } from '../../test/support/cassandra-server.js';

const Long = cassandra.types.Long;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

export interface Sample {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  n: number;
}

function hist(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** A set-up load that runs for a given time when asked, recording transaction latencies into `h`. */
interface Load {
  readonly h: hdr.Histogram;
  round(ms: number): Promise<void>;
  close(): Promise<void>;
}

async function keyspace(contactPoints: string[], dc: string): Promise<string> {
  const ks = `bench_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  await createCassandraSchema(
    {
      contactPoints,
      localDataCenter: dc,
      keyspace: ks,
      replication: { class: 'SimpleStrategy', replicationFactor: 1 },
    },
    () => undefined,
  );
  return ks;
}

/**
 * The engine: signals to running workflows; each is a current-row read, a history insert and a conditional batch.
 * `in-process`: the callers run on the engine's own thread and call the frontend's signal handler directly (request
 * validation, namespace lookup, the history service's transaction and its persistence, exactly as an RPC runs them,
 * minus the transport), as the direct loop calls cassandra-driver on its own thread: this is the engine's update path
 * against the bare LWT pattern. `grpc`: the callers run in a thread of their own and send SignalWorkflowExecution
 * over loopback gRPC, so each transaction also pays a client, HTTP/2 and protobuf on both sides (what the
 * engine-rpc benchmark measures on its own).
 */
async function engineLoad(
  contactPoints: string[],
  dc: string,
  shards: number,
  via: 'in-process' | 'grpc',
): Promise<Load> {
  const ks = await keyspace(contactPoints, dc);
  const engine = await startEngine({
    port: 0,
    store: 'cassandra',
    numShards: shards,
    shardIOConcurrency: 1,
    cassandra: { contactPoints, localDataCenter: dc, keyspace: ks, replicationFactor: 1 },
  });
  const ids = Array.from({ length: shards * 8 }, (_, i) => `lwt-${i}`);
  for (const id of ids) {
    await engine.invoke('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'lwt' },
      taskQueue: { name: 'lwt' },
      requestId: randomUUID(),
    });
  }
  const h = hist();
  // Two callers per shard keep every shard's single batch slot busy; caller i owns every n-th workflow.
  const concurrency = shards * 2;
  if (via === 'in-process') {
    return {
      h,
      async round(ms) {
        const end = Date.now() + ms;
        const send = (request: object) => engine.invoke('SignalWorkflowExecution', request);
        await Promise.all(
          Array.from({ length: concurrency }, (_, i) =>
            signalLoop(send, ids, i, concurrency, end, (us) => h.recordValue(us)),
          ),
        );
      },
      close: () => engine.stop(),
    };
  }
  const thread = new LoadThread();
  return {
    h,
    async round(ms) {
      const r = await thread.round({
        kind: 'signal',
        address: engine.address,
        concurrency,
        durationMs: ms,
        payloadBytes: 0,
        workflowIds: ids,
      });
      for (const us of r.latenciesUs ?? []) h.recordValue(us);
    },
    async close() {
      await thread.close();
      await engine.stop();
    },
  };
}

/**
 * The same statements issued directly, as the engine issues them for a signal: the current-row read, the history
 * insert, then the conditional batch of four (current row `IF current_run_id`, execution row `IF db_record_version`
 * with a mutable-state blob and a state blob the size of the engine's, the `signal_requested` set delta Temporal
 * adds for a signal with a request id, and the shard fence `IF range_id`). Two loops per shard as the engine has two
 * callers per shard, over 8 workflows per shard (so the sets grow at the same pace), one write (history insert, then
 * batch) at a time per shard.
 */
async function directLoad(contactPoints: string[], dc: string, shards: number): Promise<Load> {
  const ks = await keyspace(contactPoints, dc);
  const client = new cassandra.Client({
    contactPoints,
    localDataCenter: dc,
    keyspace: ks,
    encoding: { map: Map, set: Set },
    queryOptions: {
      consistency: cassandra.types.consistencies.localQuorum,
      serialConsistency: cassandra.types.consistencies.localSerial,
      prepare: true,
    },
  });
  await client.connect();
  const SHARD = [
    '10000000-1000-f000-f000-000000000000',
    '20000000-1000-f000-f000-000000000000',
    '30000000-1000-f000-f000-000000000000',
  ];
  const CURRENT = '30000000-0000-f000-f000-000000000001';
  const TS = 946_684_800_000;
  const ns = randomUUID();
  // Sizes of the engine's records for a running workflow with a pending workflow task (measured on its rows).
  const execution = Buffer.alloc(1205, 1);
  const state = Buffer.alloc(159, 2);
  const event = Buffer.alloc(300, 3);
  const perShard = await Promise.all(
    Array.from({ length: shards }, async (_, i) => {
      const shard = i + 1;
      await client.execute(
        'INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, shard, range_id) VALUES (?, 0, ?, ?, ?, ?, -11, ?, 1)',
        [shard, ...SHARD, TS, Buffer.from('{}')],
      );
      const workflows = await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          const wf = `direct-${shard}-${w}`;
          const run = randomUUID();
          await client.execute(
            'INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, current_run_id, execution_state, execution_state_encoding, workflow_last_write_version, workflow_state) VALUES (?, 1, ?, ?, ?, ?, -10, ?, ?, ?, 0, 1)',
            [shard, ns, wf, CURRENT, TS, run, state, 'bin'],
          );
          await client.execute(
            'INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, execution, execution_encoding, execution_state, execution_state_encoding, next_event_id, db_record_version, workflow_state) VALUES (?, 1, ?, ?, ?, ?, -10, ?, ?, ?, ?, 3, 1, 1)',
            [shard, ns, wf, run, TS, execution, 'bin', state, 'bin'],
          );
          return { wf, run, v: 2 };
        }),
      );
      return { shard, workflows, writes: Promise.resolve() };
    }),
  );
  const h = hist();
  return {
    h,
    async round(ms) {
      const end = Date.now() + ms;
      await Promise.all(
        perShard.flatMap((s) =>
          // Two loops per shard, as the engine has two callers per shard; each owns half of the shard's workflows.
          [0, 1].map(async (loop) => {
            const { shard } = s;
            const mine = s.workflows.filter((_, i) => i % 2 === loop);
            for (let k = 0; Date.now() < end; k++) {
              const w = mine[k % mine.length] as { wf: string; run: string; v: number };
              const { wf, run } = w;
              const v = w.v++;
              const t0 = performance.now();
              // The engine reads the current row before each signal; so does this loop.
              await client.execute(
                'SELECT current_run_id FROM executions WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -10',
                [shard, ns, wf, CURRENT, TS],
              );
              // One write at a time per shard, history insert then batch (the engine's shardIOConcurrency 1); the
              // current-row read above overlaps with the other loop's writes, as it does in the engine.
              let done = (): void => undefined;
              const previous = s.writes;
              s.writes = new Promise<void>((r) => (done = r));
              await previous;
              const rs = await (async () => {
                await client.execute(
                  'INSERT INTO history_node (tree_id, branch_id, node_id, txn_id, prev_txn_id, data, data_encoding) VALUES (?, ?, ?, ?, ?, ?, ?)',
                  [run, run, Long.fromNumber(v), Long.fromNumber(v), Long.fromNumber(v - 1), event, 'proto3'],
                );
                const key = [shard, ns, wf, run, TS];
                return client.batch(
                  [
                    {
                      query:
                        'UPDATE executions SET current_run_id = ?, execution_state = ?, execution_state_encoding = ?, workflow_last_write_version = 0, workflow_state = 1 WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -10 IF current_run_id = ?',
                      params: [run, state, 'bin', shard, ns, wf, CURRENT, TS, run],
                    },
                    {
                      query:
                        'UPDATE executions SET execution = ?, execution_encoding = ?, execution_state = ?, execution_state_encoding = ?, next_event_id = ?, db_record_version = ?, workflow_state = 1 WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -10 IF db_record_version = ?',
                      params: [
                        execution,
                        'bin',
                        state,
                        'bin',
                        Long.fromNumber(v + 2),
                        Long.fromNumber(v),
                        ...key,
                        Long.fromNumber(v - 1),
                      ],
                    },
                    {
                      query:
                        'UPDATE executions SET signal_requested = signal_requested + ? WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -10',
                      params: [new Set([randomUUID()]), ...key],
                    },
                    {
                      query:
                        'UPDATE executions SET range_id = 1 WHERE shard_id = ? AND type = 0 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -11 IF range_id = 1',
                      params: [shard, ...SHARD, TS],
                    },
                  ],
                  { prepare: true, logged: true },
                );
              })().finally(done);
              if (!rs.wasApplied()) throw new Error('direct batch not applied');
              h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
            }
          }),
        ),
      );
    },
    async close() {
      await client.shutdown();
    },
  };
}

/** CPU seconds used so far by every Java process on this machine (the Cassandra node when it runs here). */
function javaCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('java')) continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

function sample(h: hdr.Histogram, ms: number): Sample {
  return {
    perSec: (h.totalCount * 1000) / ms,
    p50Ms: h.getValueAtPercentile(50) / 1000,
    p99Ms: h.getValueAtPercentile(99) / 1000,
    n: h.totalCount,
  };
}

export interface LwtMeasurement {
  /** The engine's update path, called in-process (see engineLoad). */
  engine: Sample;
  /** The same engine driven by SignalWorkflowExecution over loopback gRPC from a client thread. */
  grpc: Sample;
  direct: Sample;
  /** engine / direct. */
  ratio: number;
  /** grpc / direct. */
  grpcRatio: number;
  /** Per-round engine / direct ratios: their spread shows the noise. */
  roundRatios: number[];
  /** CPU per transaction: this process (engine, plus its gRPC client thread for grpc; or the driver loop) and the Cassandra JVM. */
  cpu: Record<'engine' | 'grpc' | 'direct', { nodeMs: number; javaMs: number }>;
}

/**
 * Engine (in-process and over gRPC) and direct at `shards` shards: all set up, warmed for one round each, then
 * `seconds` of each in rounds of `roundMs`, the order rotating every round.
 */
export async function measureLwt(
  contactPoints: string[],
  dc: string,
  shards: number,
  seconds: number,
  roundMs = 2000,
): Promise<LwtMeasurement> {
  const direct = await directLoad(contactPoints, dc, shards);
  const engine = await engineLoad(contactPoints, dc, shards, 'in-process');
  const grpc = await engineLoad(contactPoints, dc, shards, 'grpc');
  const loads = [direct, engine, grpc];
  try {
    for (const load of loads) await load.round(roundMs);
    for (const load of loads) load.h.reset();
    const rounds = Math.max(1, Math.round((seconds * 1000) / roundMs));
    const cpu = new Map<Load, { node: number; java: number }>();
    const roundRatios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const d0 = direct.h.totalCount;
      const e0 = engine.h.totalCount;
      const order = [0, 1, 2].map((k) => loads[(i + k) % 3] as Load);
      for (const load of order) {
        const p0 = process.cpuUsage();
        const j0 = javaCpuSeconds();
        await load.round(roundMs);
        const p = process.cpuUsage(p0);
        const c = cpu.get(load) ?? { node: 0, java: 0 };
        cpu.set(load, { node: c.node + (p.user + p.system) / 1e6, java: c.java + javaCpuSeconds() - j0 });
      }
      roundRatios.push((engine.h.totalCount - e0) / Math.max(1, direct.h.totalCount - d0));
    }
    const ms = rounds * roundMs;
    const e = sample(engine.h, ms);
    const g = sample(grpc.h, ms);
    const d = sample(direct.h, ms);
    const perTx = (l: Load, n: number) => {
      const c = cpu.get(l) ?? { node: 0, java: 0 };
      return { nodeMs: (c.node * 1000) / Math.max(1, n), javaMs: (c.java * 1000) / Math.max(1, n) };
    };
    return {
      engine: e,
      grpc: g,
      direct: d,
      ratio: e.perSec / d.perSec,
      grpcRatio: g.perSec / d.perSec,
      roundRatios,
      cpu: { engine: perTx(engine, e.n), grpc: perTx(grpc, g.n), direct: perTx(direct, d.n) },
    };
  } finally {
    for (const load of loads) await load.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(arg('seconds', '8'));
  const shardCounts = arg('shards', '1,4,16,64').split(',').map(Number);
  const c = await testCassandra();
  const f = (x: number, w = 8, d = 2): string => x.toFixed(d).padStart(w);
  try {
    console.log(
      `engine update path vs direct cassandra-driver on Cassandra ${c.releaseVersion} (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${seconds} s of each per shard count, in rotating 2 s rounds; shardIOConcurrency 1)`,
    );
    console.log(
      '  engine = the signal handler called in-process; via gRPC = the same engine, signals over loopback gRPC',
    );
    console.log(
      '  shards  engine tx/s  p50/p99 ms       via gRPC tx/s  p50/p99 ms       direct tx/s  p50/p99 ms       ratio  gRPC ratio  round ratios         CPU ms/tx node (engine, gRPC, direct) / cassandra',
    );
    for (const shards of shardCounts) {
      const r = await measureLwt(c.contactPoints, c.localDataCenter, shards, seconds);
      const col = (s: Sample): string => `${f(s.perSec, 11, 0)}  ${f(s.p50Ms, 7)} /${f(s.p99Ms, 7)}`;
      console.log(
        `  ${String(shards).padStart(6)}  ${col(r.engine)}  ${col(r.grpc)}    ${col(r.direct)}  ${f(r.ratio, 6, 3)}  ${f(r.grpcRatio, 10, 3)}  ${r.roundRatios.map((x) => x.toFixed(2)).join(' ')}   ${r.cpu.engine.nodeMs.toFixed(2)}, ${r.cpu.grpc.nodeMs.toFixed(2)}, ${r.cpu.direct.nodeMs.toFixed(2)} / ${r.cpu.engine.javaMs.toFixed(2)}, ${r.cpu.grpc.javaMs.toFixed(2)}, ${r.cpu.direct.javaMs.toFixed(2)}`,
      );
    }
  } finally {
    await c.stop();
  }
}
