/**
 * `stampede verify --target`: every run of a benchmark read back through an engine's (or a Temporal frontend's)
 * WorkflowService: histories, children left running by a closed parent, and the scenario's invariants. Mutable state is not visible from outside an engine;
 * store-verify.ts checks it when the store can be read.
 */
import type { WorkflowServiceClient } from '../client/workflow-service.js';
import type { AnyScenario } from '../../scenarios/sdk/scenario.js';
import type { OptionSpecs, OptionValues } from '../../scenarios/sdk/option-specs.js';
import { listRuns, verifyContext } from './engine-reader.js';
import { checkHistories, checkScenario, Problems, REPORTED_PROBLEMS, type VerifyReport } from './read-back.js';
import { statusName } from './workflow-status.js';
import { OrphanCheck } from './orphan-check.js';

export interface ApiVerifyOptions {
  namespace: string;
  /** Workflow-id prefix of the run (its run tag). */
  prefix: string;
  /** Every workflow must be closed (the scenario closes its workflows and the run drained). */
  expectClosed: boolean;
  scenario?: {
    scenario: AnyScenario;
    values: OptionValues<OptionSpecs>;
    expected: Map<string, Record<string, number>>;
  };
  /** Histories read and checked: all of them (0) or at most this many runs. */
  sample: number;
}

export async function verifyThroughApi(client: WorkflowServiceClient, o: ApiVerifyOptions): Promise<VerifyReport> {
  const runs = await listRuns(client, o.namespace, o.prefix, Number.MAX_SAFE_INTEGER);
  const byStatus: Record<string, number> = {};
  for (const r of runs) byStatus[statusName(r.status)] = (byStatus[statusName(r.status)] ?? 0) + 1;
  const problems = new Problems(REPORTED_PROBLEMS);
  const orphans = new OrphanCheck(client, o.namespace);
  const historiesChecked = await checkHistories(
    client,
    o.namespace,
    runs,
    { sample: o.sample, expectClosed: o.expectClosed, onHistory: orphans.onHistory },
    problems,
  );
  await orphans.check(problems);
  if (o.scenario) {
    const sampleSize = o.sample === 0 ? Number.MAX_SAFE_INTEGER : o.sample;
    const ctx = verifyContext(client, o.namespace, o.prefix, o.scenario.expected, sampleSize);
    await checkScenario(o.scenario.scenario, o.scenario.values, ctx, problems);
  }
  return {
    runs: runs.length,
    workflows: new Set(runs.map((r) => r.workflowId)).size,
    byStatus,
    historiesChecked,
    problems: problems.kept,
    problemCount: problems.count,
  };
}
