/**
 * `stampede verify`: read every workflow of a run back from the store (Cassandra, Astra) — or through any
 * engine's API with --target — and check histories, mutable state against history, and the scenario's
 * invariants. Exit 0 when everything holds, 1 on any violation, 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import {
  openStoreReader,
  type CassandraOptions,
  type PostgresOptions,
  describePostgresTarget,
} from '../engine/index.js';
import { SCENARIOS } from '../scenarios/index.js';
import { WorkflowServiceClient } from '../bench/client/workflow-service.js';
import { RunFailedError, UsageError } from '../bench/errors.js';
import { addFlags, resolveRaw, type FlagDecls } from './flags/flag-decls.js';
import { compileEngineFlags, ENGINE_FLAGS } from './flags/engine-flags.js';
import { show } from '../scenarios/sdk/show.js';
import { readExpected, readResult, resultFile } from '../result/read.js';
import type { ResultV1 } from '../result/schema.js';
import { compileOptions } from '../scenarios/sdk/option-specs.js';
import { verifyThroughApi } from '../bench/verify/api-verify.js';
import type { VerifyReport } from '../bench/verify/read-back.js';
import { verifyFromStore, type StoreVerifyReport } from '../bench/verify/store-verify.js';

const STORE_KEYS = [
  'store',
  'shards',
  'contactPoints',
  'localDataCenter',
  'keyspace',
  'astraBundle',
  'astraTokenFile',
  'cassandraUser',
  'postgresUrl',
  'postgresPoolSize',
] as const;
const STORE_FLAGS: FlagDecls = Object.fromEntries(
  STORE_KEYS.map((k) => [k, { ...ENGINE_FLAGS[k], default: undefined, group: 'Store (default: from the result):' }]),
) as FlagDecls;

const S = 'Run:';
const VERIFY_FLAGS: FlagDecls = {
  runTag: { type: 'string', describe: "the run's workflow-id prefix (default: from the result)", group: S },
  scenario: { type: 'string', describe: 'scenario whose invariants to check (default: from the result)', group: S },
  namespace: { type: 'string', describe: 'namespace (default: from the result, else default)', group: S },
  target: {
    type: 'string',
    describe: 'read through this engine or Temporal frontend (host:port) instead of the store',
    group: S,
  },
  sample: {
    type: 'number',
    default: 0,
    describe: 'read at most this many histories (0: every one)',
    group: S,
  },
};

function storeRaw(result: ResultV1 | undefined, flags: Record<string, unknown>): Record<string, unknown> {
  // The result's store settings, overridden by flags; secrets always come from the environment or a file.
  const engine = (result?.options.engine ?? {}) as {
    store?: string;
    numShards?: number;
    cassandra?: Partial<CassandraOptions>;
    postgres?: Partial<PostgresOptions>;
  };
  const c = engine.cassandra ?? {};
  const fromResult: Record<string, unknown> = {
    // A result of an embedded memory run names no persistent store: the store flags then default to Cassandra.
    store: engine.store === 'postgres' ? 'postgres' : undefined,
    // (The recorded URL has no password: it comes from the environment, as it did for the run.)
    postgresUrl: engine.postgres?.url,
    shards: engine.numShards,
    contactPoints: c.contactPoints?.join(','),
    localDataCenter: c.localDataCenter,
    keyspace: c.keyspace,
    astraBundle: c.secureConnectBundle,
    cassandraUser: c.username && c.username !== 'token' && c.username !== '[redacted]' ? c.username : undefined,
  };
  const raw = resolveRaw(STORE_FLAGS, { flags, env: {}, file: {} });
  const out: Record<string, unknown> = {
    ...resolveRaw(ENGINE_FLAGS, { flags: {}, env: {}, file: {} }),
    store: 'cassandra',
  };
  for (const k of STORE_KEYS) {
    const v = raw[k] ?? fromResult[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function pick(o: { cassandra?: CassandraOptions; postgres?: PostgresOptions }): {
  cassandra?: CassandraOptions;
  postgres?: PostgresOptions;
} {
  return { ...(o.cassandra ? { cassandra: o.cassandra } : {}), ...(o.postgres ? { postgres: o.postgres } : {}) };
}

function storeName(o: { cassandra?: CassandraOptions; postgres?: PostgresOptions }): string {
  if (o.postgres) return describePostgresTarget(o.postgres.url);
  const c = o.cassandra;
  if (!c) return 'unknown';
  return `${c.secureConnectBundle ? 'Astra' : c.contactPoints.join(',')}/${c.keyspace}`;
}

function print(report: VerifyReport | StoreVerifyReport, how: string): void {
  const statuses = Object.entries(report.byStatus)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  // Open runs split in two: waiting by design (for a signal, an update) and stuck (pending work nothing will run).
  const open =
    'stuck' in report ? `; open: ${report.waiting} waiting by design, ${report.stuck} stuck (no pending task)` : '';
  process.stdout.write(
    `verify (${how}): ${report.workflows} workflows, ${report.runs} runs (${statuses || 'none'}); ${report.historiesChecked} histories checked${open}; ${report.problemCount} problem(s)\n`,
  );
  for (const p of report.problems) process.stdout.write(`  ! ${p}\n`);
  if (report.problemCount > report.problems.length)
    process.stdout.write(`  ... and ${report.problemCount - report.problems.length} more\n`);
}

export const verifyCommand: CommandModule = {
  command: 'verify [result]',
  describe: "read a run's workflows back from the store and check histories, state and the scenario's invariants",
  builder: (y: Argv) =>
    addFlags(
      addFlags(
        y.positional('result', { type: 'string', describe: 'the run (result.json or its folder)' }),
        VERIFY_FLAGS,
      ),
      STORE_FLAGS,
    )
      .example('$0 verify results/2026-11-22-subscription', 'everything from the result: store, run tag, scenario')
      .example(
        '$0 verify --run-tag sp-1234abcd --scenario hello --keyspace stampede --contact-points 10.0.0.5',
        'a run by tag',
      )
      .example('$0 verify results/x --target 127.0.0.1:7233', 'through an engine instead of the store'),
  handler: async (args) => {
    const flags = args as Record<string, unknown>;
    const result = typeof args.result === 'string' ? readResult(args.result) : undefined;
    const problems: string[] = [];
    const runTag = (flags.runTag as string | undefined) ?? result?.runId;
    if (!runTag) problems.push('give a result to verify, or --run-tag');
    const scenarioName = (flags.scenario as string | undefined) ?? result?.scenario.name;
    const scenario = scenarioName ? SCENARIOS.get(scenarioName) : undefined;
    if (scenarioName && !scenario) problems.push(`unknown scenario ${scenarioName}`);
    const namespace = (flags.namespace as string | undefined) ?? (result ? show(result.options.namespace) : 'default');
    const sample = Number(flags.sample ?? 0);
    if (!Number.isInteger(sample) || sample < 0)
      problems.push(`--sample must be an integer >= 0, got ${show(flags.sample)}`);
    const values = scenario
      ? compileOptions(scenario.options, result?.scenario.options ?? {}, `scenario ${scenario.name}`)
      : undefined;
    if (values && values.problems.length > 0) problems.push(...values.problems);
    let expected = new Map<string, Record<string, number>>();
    if (result && typeof args.result === 'string' && result.files.expected) {
      const file = join(dirname(resultFile(args.result)), result.files.expected);
      if (existsSync(file)) expected = readExpected(file);
    }
    const target = flags.target as string | undefined;
    const storeGiven = STORE_KEYS.some((k) => flags[k] !== undefined);
    if (!target && result?.target.kind === 'embedded' && result.target.store === 'memory' && !storeGiven)
      problems.push(
        'this run used the embedded memory store, which ended with the run: verify reads a persistent store (a run with --store cassandra or postgres, or give the store flags) or an engine (--target)',
      );
    const closes =
      scenario && values && result
        ? scenario.closesDuringRun(values.values, {
            timeScale: result.target.timeScale,
            drainTimeoutMs: Number(result.options.drainTimeoutMs ?? 60_000),
          }) && result.verdict !== 'partial'
        : false;
    if (problems.length > 0) throw UsageError.of(problems);
    const prefix = `${runTag ?? ''}-`;

    if (target) {
      // Through the API: histories and the scenario's invariants (no mutable state from outside an engine).
      const client = new WorkflowServiceClient(target);
      try {
        await client.waitForReady(10_000).catch((err: unknown) => {
          throw new UsageError(`cannot reach ${target}: ${err instanceof Error ? err.message : String(err)}`);
        });
        const report = await verifyThroughApi(client, {
          namespace,
          prefix,
          expectClosed: closes,
          ...(scenario && values ? { scenario: { scenario, values: values.values, expected } } : {}),
          sample,
        });
        print(report, `through ${target}`);
        if (report.problemCount > 0) throw new RunFailedError(`${report.problemCount} problem(s) found`);
      } finally {
        client.close();
      }
      return;
    }

    const engineProblems: string[] = [];
    const engineOptions = compileEngineFlags(storeRaw(result, flags), process.env, engineProblems);
    if (engineProblems.length > 0) throw UsageError.of(engineProblems);
    const reader = await openStoreReader({
      backend: { store: engineOptions.store ?? 'cassandra', ...pick(engineOptions) },
      numShards: engineOptions.numShards ?? 4,
    });
    try {
      const report = await verifyFromStore(reader, {
        namespace,
        prefix,
        expectClosed: closes,
        ...(scenario && values ? { scenario: { scenario, values: values.values, expected } } : {}),
        sample,
        progress: (m) => process.stderr.write(`${m}\n`),
      });
      print(report, `store ${storeName(engineOptions)}`);
      if (result && report.workflows < result.verification.started)
        throw new RunFailedError(
          `lost by the store: ${result.verification.started - report.workflows} of the ${result.verification.started} workflows the run started (each start was acknowledged by the engine) are not in the store`,
        );
      if (report.problemCount > 0) throw new RunFailedError(`${report.problemCount} problem(s) found`);
    } finally {
      await reader.close();
    }
  },
};
