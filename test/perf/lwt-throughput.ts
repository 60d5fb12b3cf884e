/**
 * Benchmark (not a test): the engine's update path on Cassandra — one history insert plus one conditional batch
 * per workflow transaction, writes serialized per shard (shardIOConcurrency 1) — at 1, 4, 16 and 64 shards, beside
 * the same statements issued directly with cassandra-driver under the same per-shard serialization, in the same
 * run. Both are set up once and then measured in alternating short rounds (direct, engine, engine, direct, ...), so
 * that load from elsewhere on a shared machine (or on a shared Cassandra) falls on both alike. The ratio is the
 * engine's overhead over the bare LWT pattern.
 *
 *   npm run bench:lwt [-- --seconds 8 --shards 1,4,16,64]        (starts the bundled Cassandra 2.1)
 *   STAMPEDE_TEST_CASSANDRA=host:port npm run bench:lwt          (an external cluster)
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import cassandra from 'cassandra-driver';
import * as hdr from 'hdr-histogram-js';
import { createCassandraSchema, startEngine } from '../../engine/index.js';
import { WorkflowServiceClient } from '../../bench/client/workflow-service.js';
import { testCassandra } from '../support/cassandra-server.js';

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

/** The engine: signals to running workflows; each is a current-row read, a history insert and a conditional batch. */
async function engineLoad(contactPoints: string[], dc: string, shards: number): Promise<Load> {
  const ks = await keyspace(contactPoints, dc);
  const engine = await startEngine({
    port: 0,
    store: 'cassandra',
    numShards: shards,
    shardIOConcurrency: 1,
    cassandra: { contactPoints, localDataCenter: dc, keyspace: ks, replicationFactor: 1 },
  });
  const client = new WorkflowServiceClient(engine.address);
  const ids = Array.from({ length: shards * 8 }, (_, i) => `lwt-${i}`);
  for (const id of ids) {
    await client.call('StartWorkflowExecution', {
      namespace: 'default',
      workflowId: id,
      workflowType: { name: 'lwt' },
      taskQueue: { name: 'lwt' },
      requestId: randomUUID(),
    });
  }
  const h = hist();
  let next = 0;
  return {
    h,
    async round(ms) {
      const end = Date.now() + ms;
      // Two callers per shard keep every shard's single write slot busy.
      await Promise.all(
        Array.from({ length: shards * 2 }, async () => {
          while (Date.now() < end) {
            const id = ids[next++ % ids.length] as string;
            const t0 = performance.now();
            await client.call('SignalWorkflowExecution', {
              namespace: 'default',
              workflowExecution: { workflowId: id },
              signalName: 's',
              requestId: randomUUID(),
            });
            h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          }
        }),
      );
    },
    async close() {
      client.close();
      await engine.stop();
    },
  };
}

/** The same statements issued directly: current-row read, history insert, then the conditional batch, one at a time per shard. */
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
  const blob = Buffer.alloc(600, 1);
  const perShard = await Promise.all(
    Array.from({ length: shards }, async (_, i) => {
      const shard = i + 1;
      await client.execute(
        'INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, shard, range_id) VALUES (?, 0, ?, ?, ?, ?, -11, ?, 1)',
        [shard, ...SHARD, TS, Buffer.from('{}')],
      );
      const wf = `direct-${shard}`;
      const run = randomUUID();
      await client.execute(
        'INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, current_run_id, workflow_state) VALUES (?, 1, ?, ?, ?, ?, -10, ?, 2)',
        [shard, ns, wf, CURRENT, TS, run],
      );
      await client.execute(
        'INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, execution, db_record_version) VALUES (?, 1, ?, ?, ?, ?, -10, ?, 1)',
        [shard, ns, wf, run, TS, Buffer.from('{}')],
      );
      return { shard, wf, run, v: 2 };
    }),
  );
  const h = hist();
  return {
    h,
    async round(ms) {
      const end = Date.now() + ms;
      await Promise.all(
        perShard.map(async (s) => {
          const { shard, wf, run } = s;
          for (; Date.now() < end; s.v++) {
            const v = s.v;
            const t0 = performance.now();
            // The engine reads the current row before each signal; so does this loop.
            await client.execute(
              'SELECT current_run_id FROM executions WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -10',
              [shard, ns, wf, CURRENT, TS],
            );
            await client.execute(
              'INSERT INTO history_node (tree_id, branch_id, node_id, txn_id, prev_txn_id, data, data_encoding) VALUES (?, ?, ?, ?, ?, ?, ?)',
              [run, run, Long.fromNumber(v), Long.fromNumber(v), Long.fromNumber(v - 1), blob, 'proto3'],
            );
            const rs = await client.batch(
              [
                {
                  query:
                    'UPDATE executions SET current_run_id = ?, workflow_state = 2 WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -10 IF current_run_id = ?',
                  params: [run, shard, ns, wf, CURRENT, TS, run],
                },
                {
                  query:
                    'UPDATE executions SET execution = ?, next_event_id = ?, db_record_version = ? WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -10 IF db_record_version = ?',
                  params: [
                    blob,
                    Long.fromNumber(v),
                    Long.fromNumber(v),
                    shard,
                    ns,
                    wf,
                    run,
                    TS,
                    Long.fromNumber(v - 1),
                  ],
                },
                {
                  query:
                    'UPDATE executions SET range_id = 1 WHERE shard_id = ? AND type = 0 AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = -11 IF range_id = 1',
                  params: [shard, ...SHARD, TS],
                },
              ],
              { prepare: true, logged: true },
            );
            if (!rs.wasApplied()) throw new Error('direct batch not applied');
            h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          }
        }),
      );
    },
    async close() {
      await client.shutdown();
    },
  };
}

function sample(h: hdr.Histogram, ms: number): Sample {
  return {
    perSec: (h.totalCount * 1000) / ms,
    p50Ms: h.getValueAtPercentile(50) / 1000,
    p99Ms: h.getValueAtPercentile(99) / 1000,
    n: h.totalCount,
  };
}

/**
 * Engine and direct at `shards` shards: both set up, warmed for one round each, then `seconds` of each in
 * alternating rounds of `roundMs`.
 */
export async function measureLwt(
  contactPoints: string[],
  dc: string,
  shards: number,
  seconds: number,
  roundMs = 2000,
): Promise<{ engine: Sample; direct: Sample; ratio: number; roundRatios: number[] }> {
  const direct = await directLoad(contactPoints, dc, shards);
  const engine = await engineLoad(contactPoints, dc, shards);
  try {
    await direct.round(roundMs);
    await engine.round(roundMs);
    direct.h.reset();
    engine.h.reset();
    const rounds = Math.max(1, Math.round((seconds * 1000) / roundMs));
    const roundRatios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const d0 = direct.h.totalCount;
      const e0 = engine.h.totalCount;
      const order = i % 2 === 0 ? [direct, engine] : [engine, direct];
      for (const load of order) await load.round(roundMs);
      roundRatios.push((engine.h.totalCount - e0) / Math.max(1, direct.h.totalCount - d0));
    }
    const ms = rounds * roundMs;
    const e = sample(engine.h, ms);
    const d = sample(direct.h, ms);
    return { engine: e, direct: d, ratio: e.perSec / d.perSec, roundRatios };
  } finally {
    await engine.close();
    await direct.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(arg('seconds', '8'));
  const shardCounts = arg('shards', '1,4,16,64').split(',').map(Number);
  const c = await testCassandra();
  try {
    console.log(
      `engine update path vs direct cassandra-driver on Cassandra ${c.releaseVersion} (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${seconds} s of each per shard count, in alternating 2 s rounds; shardIOConcurrency 1)`,
    );
    console.log('  shards  engine tx/s  p50 ms    p99 ms    direct tx/s  p50 ms    p99 ms    ratio   round ratios');
    for (const shards of shardCounts) {
      const r = await measureLwt(c.contactPoints, c.localDataCenter, shards, seconds);
      const { engine: eng, direct } = r;
      console.log(
        `  ${String(shards).padStart(6)}  ${eng.perSec.toFixed(0).padStart(9)}  ${eng.p50Ms.toFixed(2).padStart(8)}  ${eng.p99Ms.toFixed(2).padStart(8)}  ${direct.perSec.toFixed(0).padStart(9)}  ${direct.p50Ms.toFixed(2).padStart(8)}  ${direct.p99Ms.toFixed(2).padStart(8)}  ${r.ratio.toFixed(3).padStart(6)}   ${r.roundRatios.map((x) => x.toFixed(2)).join(' ')}`,
      );
    }
  } finally {
    await c.stop();
  }
}
