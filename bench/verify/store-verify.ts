/**
 * `stampede verify` from the store: every run a benchmark left behind, read straight from Cassandra (or Astra)
 * without an engine. Per run: the history is well-formed (contiguous ids, one close event at the end, every
 * reference pointing back at the right event), the mutable state agrees with the history (next event id, open
 * or closed, pending activities and timers, no buffered events left on a closed run), and a completed run left
 * no activity or timer unresolved. Per workflow id: the current-run row names the newest run and at most one
 * run is open. Parent and child runs agree (family-check.ts). Then the scenario's own invariants, over the same data.
 */
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import type { StoreReader, StoredRun } from '../../engine/index.js';
import { RunFailedError } from '../errors.js';
import { fromPayloads } from '../../scenarios/sdk/payloads.js';
import type { AnyScenario, VerifyContext } from '../../scenarios/sdk/scenario.js';
import type { OptionValues, OptionSpecs } from '../../scenarios/sdk/option-specs.js';
import { CLOSE_EVENT_TYPES, historyProblems, num } from './history-check.js';
import { checkScenario, Problems, REPORTED_PROBLEMS, type VerifyReport } from './read-back.js';
import { statusName } from './workflow-status.js';
import { familyProblems } from './family-check.js';

const E = proto.temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

export interface StoreVerifyOptions {
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
  progress?: (message: string) => void;
}

export interface StoreVerifyReport extends VerifyReport {
  /** Open runs waiting by design: nothing pending that the engine must do (a signal or an update will move them). */
  waiting: number;
  /** Open runs with pending work and no persisted task that will ever move them (each is also a problem). */
  stuck: number;
}

/**
 * An open run with work pending — a workflow task, an activity, a timer — must have a persisted task that moves it
 * forward (a transfer task, a timer task or a task-queue backlog row). Without one it is stuck for good: the engine
 * only ever reads tasks, never scans runs.
 */
export function isStuck(run: StoredRun, withTasks: Set<string>): boolean {
  if (run.state === 'completed') return false;
  const pending = run.workflowTaskScheduledEventId > 0 || run.pendingActivities.length > 0 || run.pendingTimers.length;
  return Boolean(pending) && !withTasks.has(`${run.namespaceId}/${run.workflowId}/${run.runId}`);
}

/** What the mutable state says is pending, against what the history says is unresolved. */
export function stateProblems(run: StoredRun, events: Event[]): string[] {
  const problems: string[] = [];
  const last = events[events.length - 1];
  const lastId = last ? num(last.eventId) : 0;
  if (run.nextEventId !== lastId + 1)
    problems.push(`mutable state's next event id ${run.nextEventId} but the history ends at ${lastId}`);
  const closedInHistory = last !== undefined && CLOSE_EVENT_TYPES.has(last.eventType ?? 0);
  if (run.state === 'completed' && !closedInHistory) problems.push('closed in mutable state, open in history');
  if (run.state === 'running' && closedInHistory) problems.push('running in mutable state, closed in history');
  if (run.state === 'completed' && run.completionEventId !== lastId)
    problems.push(`completion event id ${run.completionEventId} but the close event is ${lastId}`);
  if (run.state === 'completed' && run.bufferedEvents > 0)
    problems.push(`${run.bufferedEvents} buffered events left on a closed run`);

  const scheduled = new Set<number>();
  const timers = new Set<number>();
  const updates: Record<string, { acceptedEventId: number; completedEventId: number }> = {};
  for (const e of events) {
    const id = num(e.eventId);
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) updates[accepted.protocolInstanceId ?? ''] = { acceptedEventId: id, completedEventId: 0 };
    const updated = e.workflowExecutionUpdateCompletedEventAttributes;
    const u = updates[updated?.meta?.updateId ?? ''];
    if (updated && u) u.completedEventId = id;
    if (e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled.add(id);
    if (e.eventType === E.EVENT_TYPE_TIMER_STARTED) timers.add(id);
    const resolved =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (resolved) scheduled.delete(num(resolved.scheduledEventId));
    const timerEnd = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
    if (timerEnd) timers.delete(num(timerEnd.startedEventId));
  }
  // Each update's acceptance and completion, as the mutable state records them (what dedup answers from).
  const recorded = JSON.stringify(Object.entries(run.updates).sort(([a], [b]) => a.localeCompare(b)));
  const inHistory = JSON.stringify(Object.entries(updates).sort(([a], [b]) => a.localeCompare(b)));
  if (recorded !== inHistory) problems.push(`updates in mutable state ${recorded} but in history ${inHistory}`);
  if (run.state === 'running') {
    const pa = run.pendingActivities.join(',');
    const ha = [...scheduled].sort((a, b) => a - b).join(',');
    if (pa !== ha) problems.push(`pending activities in mutable state [${pa}] but unresolved in history [${ha}]`);
    const pt = run.pendingTimers.join(',');
    const ht = [...timers].sort((a, b) => a - b).join(',');
    if (pt !== ht) problems.push(`pending timers in mutable state [${pt}] but unresolved in history [${ht}]`);
  } else if (last?.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) {
    if (scheduled.size > 0) problems.push(`completed with activities never resolved: ${[...scheduled].join(', ')}`);
    if (timers.size > 0) problems.push(`completed with timers never resolved: ${[...timers].join(', ')}`);
  }
  return problems;
}

export async function verifyFromStore(reader: StoreReader, o: StoreVerifyOptions): Promise<StoreVerifyReport> {
  const problems = new Problems(REPORTED_PROBLEMS);
  const add = (p: string): void => problems.add(p);
  const namespaceId = await reader.namespaceId(o.namespace);
  if (!namespaceId)
    throw new RunFailedError(`namespace ${o.namespace} is not in the store, so none of the run's workflows are`);
  const byWorkflow = new Map<string, StoredRun[]>();
  const byStatus: Record<string, number> = {};
  let runs = 0;
  let historiesChecked = 0;
  const histories = new Map<string, Event[]>();
  for await (const run of reader.runs((ns, wid) => ns === namespaceId && wid.startsWith(o.prefix))) {
    runs += 1;
    const status = statusName(run.status);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const list = byWorkflow.get(run.workflowId) ?? [];
    list.push(run);
    byWorkflow.set(run.workflowId, list);
    if (o.sample === 0 || historiesChecked < o.sample) {
      const events = await reader.history(run);
      historiesChecked += 1;
      for (const p of historyProblems(events, { closed: run.state === 'completed' }))
        add(`${run.workflowId}/${run.runId}: ${p}`);
      for (const p of stateProblems(run, events)) add(`${run.workflowId}/${run.runId}: ${p}`);
      if (!run.newRunId) histories.set(run.workflowId, events);
    }
    if (runs % 1000 === 0) o.progress?.(`${runs} runs read`);
  }
  const openRuns = [...byWorkflow.values()].flat().filter((r) => r.state !== 'completed');
  let stuck = 0;
  let waiting = 0;
  if (openRuns.length > 0) {
    const withTasks = await reader.runsWithPendingTasks(
      namespaceId,
      openRuns.flatMap((r) => r.taskQueues),
    );
    for (const r of openRuns) {
      if (isStuck(r, withTasks)) {
        stuck += 1;
        add(
          `${r.workflowId}/${r.runId}: stuck: no pending task (workflow task ${r.workflowTaskScheduledEventId || 'none'}, activities [${r.pendingActivities.join(',')}], timers [${r.pendingTimers.join(',')}], and no transfer, timer or task-queue row for the run)`,
        );
      } else if (r.workflowTaskScheduledEventId === 0 && r.pendingActivities.length === 0 && !r.pendingTimers.length)
        waiting += 1;
    }
  }
  for (const p of familyProblems([...byWorkflow.values()].flat())) add(p);
  for (const [workflowId, list] of byWorkflow) {
    const open = list.filter((r) => r.state !== 'completed');
    if (open.length > 1)
      add(`${workflowId}: ${open.length} runs open at once (${open.map((r) => r.runId).join(', ')})`);
    if (o.expectClosed && open.length > 0) add(`${workflowId}: still running (run ${open[0]?.runId ?? ''})`);
    // The current-run row names the newest run (continue-as-new and restarts move it forward).
    const current = await reader.currentRunId(namespaceId, workflowId);
    const newestStart = Math.max(...list.map((r) => r.startTimeMs));
    const currentRun = list.find((r) => r.runId === current);
    if (!current) add(`${workflowId}: no current-run row`);
    else if (!currentRun) add(`${workflowId}: the current-run row names ${current}, which is not stored`);
    else if (currentRun.startTimeMs < newestStart)
      add(`${workflowId}: the current-run row names ${current}, not the newest run`);
  }
  if (o.scenario?.scenario.verify) {
    const s = o.scenario;
    const latest = async (workflowId: string): Promise<Event[]> => {
      const cached = histories.get(workflowId);
      if (cached) return cached;
      const current = await reader.currentRunId(namespaceId, workflowId);
      const run = byWorkflow.get(workflowId)?.find((r) => r.runId === current);
      return run ? reader.history(run) : [];
    };
    const ctx: VerifyContext = {
      expected: s.expected,
      sampleSize: o.sample === 0 ? Number.MAX_SAFE_INTEGER : o.sample,
      workflowIds: () => Promise.resolve([...byWorkflow.keys()]),
      history: latest,
      async result(workflowId) {
        const events = await latest(workflowId);
        return fromPayloads(events[events.length - 1]?.workflowExecutionCompletedEventAttributes?.result);
      },
      query: () => Promise.reject(new Error('queries need a worker: not available when verifying from the store')),
    };
    await checkScenario(s.scenario, s.values, ctx, problems);
  }
  return {
    runs,
    workflows: byWorkflow.size,
    byStatus,
    historiesChecked,
    waiting,
    stuck,
    problems: problems.kept,
    problemCount: problems.count,
  };
}
