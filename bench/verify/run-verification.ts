/**
 * End-of-run verification: every workflow the run started is accounted for by reading the engine back
 * (CountWorkflowExecutions grouped by status over the run's workflow-id prefix). Visibility trails commits,
 * so the count is re-read until it stops changing.
 */
import { grpc, type WorkflowCaller } from '../client/workflow-service.js';
import { fromPayload } from '../../scenarios/sdk/payloads.js';
import type { Verification } from '../../result/schema.js';
import { num } from './history-check.js';
import { listRuns } from './engine-reader.js';
import { checkHistories, Problems } from './read-back.js';
import { OrphanCheck } from './orphan-check.js';
import { CONTINUED_AS_NEW, RUNNING, statusName } from './workflow-status.js';

/** Problems a run's verification lists in its notes (the rest are counted). */
const NOTED_PROBLEMS = 20;
/** Problems noted per history read back. */
const PROBLEMS_PER_RUN = 3;
const RUNNING_NAME = statusName(RUNNING);
const CONTINUED_NAME = statusName(CONTINUED_AS_NEW);

async function countByStatus(
  client: WorkflowCaller,
  namespace: string,
  prefix: string,
): Promise<Record<string, number>> {
  const r = await client.call(
    'CountWorkflowExecutions',
    { namespace, query: `WorkflowId STARTS_WITH "${prefix}" GROUP BY ExecutionStatus` },
    { timeoutMs: 30_000 },
  );
  const byStatus: Record<string, number> = {};
  for (const g of r.groups) byStatus[String(fromPayload(g.groupValues?.[0]))] = num(g.count);
  return byStatus;
}

/**
 * How many of the run's workflows the engine reports open (visibility, so it may trail commits by a moment), or
 * undefined when the target cannot say (no visibility, no STARTS_WITH).
 */
export async function countOpen(
  client: WorkflowCaller,
  namespace: string,
  prefix: string,
): Promise<number | undefined> {
  try {
    const r = await client.call(
      'CountWorkflowExecutions',
      { namespace, query: `WorkflowId STARTS_WITH "${prefix}" AND ExecutionStatus = "${RUNNING_NAME}"` },
      { timeoutMs: 10_000 },
    );
    return num(r.count);
  } catch {
    return undefined;
  }
}

export interface RunVerificationParams {
  client: WorkflowCaller;
  namespace: string;
  prefix: string;
  started: number;
  /** Runs the starts leave besides their own (children, cron firings): expected under the prefix too. */
  extraRuns?: number;
  /** Starts that failed with their outcome unknown: the store may hold them though no starter counted them. */
  startsUnknownOutcome?: number;
  /** Starts (and signal-with-starts) that failed: a run that started nothing because every start failed fails. */
  startsFailed?: number;
  closesDuringRun: boolean;
  settleMs: number;
  /** How many runs to read back in full and check for well-formed histories. */
  sampleSize: number;
  /** The scenario's own invariant check, if it has one (it adds what it finds). */
  scenarioCheck?: (problems: Problems) => Promise<void>;
  /**
   * When the namespace's retention (real time) is shorter than the run, closed runs may already be deleted:
   * those the run's own workers closed are then accounted for from their count.
   */
  retention?: { realMs: number; runMs: number; closedByWorkers: number };
}

/** Runs expected under the prefix: one per start, and the runs the starts said they would leave besides. */
function expectedRuns(p: RunVerificationParams): number {
  return p.started + (p.extraRuns ?? 0);
}

/** Workflows counted under every status but ContinuedAsNew (each chain ends in exactly one such run). */
function chainEnds(byStatus: Record<string, number>): number {
  return Object.entries(byStatus)
    .filter(([s]) => s !== CONTINUED_NAME)
    .reduce((n, [, c]) => n + c, 0);
}

/** Closed workflows the namespace's retention deleted before they were counted (estimated from the workers). */
function deletedEstimate(p: RunVerificationParams, byStatus: Record<string, number>): number {
  if (!p.retention || p.retention.realMs >= p.retention.runMs) return 0;
  const closed = chainEnds(byStatus) - (byStatus[RUNNING_NAME] ?? 0);
  return Math.max(0, Math.min(expectedRuns(p), p.retention.closedByWorkers) - closed);
}

/** Visibility trails commits: counts by status, re-read until every started workflow is seen (and closed, when it should be). */
async function settledCounts(p: RunVerificationParams): Promise<Record<string, number>> {
  const deadline = Date.now() + p.settleMs;
  for (;;) {
    const byStatus = await countByStatus(p.client, p.namespace, p.prefix);
    const total = chainEnds(byStatus) + deletedEstimate(p, byStatus);
    const running = byStatus[RUNNING_NAME] ?? 0;
    if ((total >= expectedRuns(p) && (!p.closesDuringRun || running === 0)) || Date.now() > deadline) return byStatus;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Reads a sample of runs back in full: every history must be well-formed; then the scenario's invariants. */
async function readBackSample(
  p: RunVerificationParams,
  notes: string[],
): Promise<{ checked: number; problems: Problems }> {
  const problems = new Problems(NOTED_PROBLEMS);
  let checked = 0;
  try {
    const runs = await listRuns(p.client, p.namespace, p.prefix, p.sampleSize);
    const orphans = new OrphanCheck(p.client, p.namespace);
    checked = await checkHistories(
      p.client,
      p.namespace,
      runs,
      { sample: 0, expectClosed: false, perRun: PROBLEMS_PER_RUN, onHistory: orphans.onHistory },
      problems,
    );
    await orphans.check(problems);
    await p.scenarioCheck?.(problems);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // A target without list queries (no advanced visibility, or a stand-in) cannot be read back: say so.
    if (code === grpc.status.UNIMPLEMENTED || code === grpc.status.INVALID_ARGUMENT)
      notes.push(
        `histories not read back: the target cannot list workflows by id prefix (${err instanceof Error ? err.message : String(err)})`,
      );
    else problems.add(`reading workflows back failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { checked, problems };
}

export async function verifyRun(p: RunVerificationParams): Promise<Verification> {
  let byStatus: Record<string, number>;
  try {
    byStatus = await settledCounts(p);
  } catch (err) {
    return {
      status: 'unavailable',
      started: p.started,
      byStatus: {},
      lost: 0,
      stuck: 0,
      notes: [`could not read workflows back: ${err instanceof Error ? err.message : String(err)}`],
      historiesChecked: 0,
      problems: 0,
    };
  }
  const notes: string[] = [];
  const closedOrRunning = chainEnds(byStatus);
  const deleted = deletedEstimate(p, byStatus);
  if (deleted > 0 && p.retention)
    notes.push(
      `${deleted} closed workflow(s) were already deleted by the namespace's retention (${Math.round(p.retention.realMs / 1000)} s of real time, shorter than the run): counted from the workers' completions`,
    );
  const lost = Math.max(0, expectedRuns(p) - closedOrRunning - deleted);
  const stuck = p.closesDuringRun ? (byStatus[RUNNING_NAME] ?? 0) : 0;
  if (lost > 0)
    notes.push(
      `lost: ${lost} workflow(s) whose start the engine acknowledged are unknown to it now (lost by the store, when the store lost acknowledged writes)`,
    );
  if (stuck > 0) {
    const ids = await runningIds(p.client, p.namespace, p.prefix).catch(() => []);
    notes.push(
      `${stuck} workflow(s) still running though the scenario closes its workflows${ids.length ? `: ${ids.join(', ')}` : ''}`,
    );
  }
  const extra = closedOrRunning - expectedRuns(p);
  const unknown = p.startsUnknownOutcome ?? 0;
  if (extra > 0 && extra <= unknown)
    notes.push(`${extra} of the ${unknown} start(s) that failed with an unknown outcome had been stored by the engine`);
  else if (extra > 0)
    notes.push(
      `${extra} more workflow(s) found than started${unknown ? ` (${unknown} start(s) had an unknown outcome)` : ''} (a previous run with the same tag?)`,
    );
  const { checked, problems } = await readBackSample(p, notes);
  notes.push(...problems.kept);
  if (problems.count > NOTED_PROBLEMS) notes.push(`... and ${problems.count - NOTED_PROBLEMS} more problems`);
  // Nothing to account for is no pass when every start failed (a target that refused or timed out every one).
  const noneStarted = p.started === 0 && (p.startsFailed ?? 0) > 0;
  if (noneStarted) notes.push(`no workflow started: all ${p.startsFailed} start(s) failed (see the errors)`);
  const ok = lost === 0 && stuck === 0 && problems.count === 0 && !noneStarted;
  return {
    status: ok ? 'passed' : 'failed',
    started: p.started,
    byStatus,
    lost,
    stuck,
    notes,
    historiesChecked: checked,
    problems: problems.count,
  };
}

async function runningIds(client: WorkflowCaller, namespace: string, prefix: string): Promise<string[]> {
  const r = await client.call(
    'ListWorkflowExecutions',
    { namespace, query: `WorkflowId STARTS_WITH "${prefix}" AND ExecutionStatus = "${RUNNING_NAME}"`, pageSize: 5 },
    { timeoutMs: 10_000 },
  );
  return r.executions.map((e) => e.execution?.workflowId ?? '?');
}
