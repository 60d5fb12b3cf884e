/**
 * Reads a store back without serving it: every run of every shard with its mutable state and history, and the
 * current-run rows. `stampede verify` checks what a run left behind with it, straight from Cassandra (or Astra),
 * or PostgreSQL, independent of any engine process — the engine that wrote the data may have been killed.
 */
import type { temporal } from '../proto.js';
import { createPersistence, type Persistence } from '../persistence/manager.js';
import { WorkflowState } from '../persistence/records.js';
import { shardFor } from '../util/hash.js';
import { openBackend, type BackendOptions } from '../persistence/open-stores.js';
import { StoreUnavailableError } from '../persistence/errors.js';

export interface StoredRun {
  namespaceId: string;
  workflowId: string;
  runId: string;
  shardId: number;
  /** Persistence state: 'created' | 'running' | 'completed' | 'zombie'. */
  state: 'created' | 'running' | 'completed' | 'zombie';
  /** API WorkflowExecutionStatus. */
  status: number;
  nextEventId: number;
  /** Close event id (0 while open). */
  completionEventId: number;
  /** Scheduled event ids of activities the mutable state still holds. */
  pendingActivities: number[];
  /** Started event ids of timers the mutable state still holds. */
  pendingTimers: number[];
  bufferedEvents: number;
  /** Workflow task in flight or scheduled (its scheduled event id), 0 when none. */
  workflowTaskScheduledEventId: number;
  workflowType: string;
  newRunId: string;
  startTimeMs: number;
  /** Task queues the run's pending work is dispatched to (its workflow task's, its activities'). */
  taskQueues: { name: string; type: 'workflow' | 'activity' }[];
  /** A child run's parent (carried to every run of the child's chain). */
  parent: { workflowId: string; runId: string; initiatedEventId: number } | null;
  firstRunId: string;
  /** Children the run started and has not recorded as closed (a closed parent keeps those it left running). */
  pendingChildren: { initiatedEventId: number; workflowId: string; startedRunId: string; parentClosePolicy: number }[];
  /** Updates the mutable state records (accepted, and completed: completedEventId > 0), by update id. */
  updates: Record<string, { acceptedEventId: number; completedEventId: number }>;
}

export interface StoreReader {
  readonly numShards: number;
  namespaceId(name: string): Promise<string | undefined>;
  /** Every run in the store whose workflow id passes `filter`. */
  runs(filter: (namespaceId: string, workflowId: string) => boolean): AsyncGenerator<StoredRun>;
  /** The run's history as the store holds it (committed batches only, up to nextEventId). */
  history(run: StoredRun): Promise<temporal.api.history.v1.IHistoryEvent[]>;
  /** The current run id of a workflow id. */
  currentRunId(namespaceId: string, workflowId: string): Promise<string | undefined>;
  /**
   * Runs (`namespaceId/workflowId/runId`) that have a persisted task that will move them forward: a timer task, a
   * transfer task, or a task in the backlog of one of `queues`. An open run with pending work and none of these is
   * stuck for good: nothing the engine reads will ever touch it again.
   */
  runsWithPendingTasks(
    namespaceId: string,
    queues: { name: string; type: 'workflow' | 'activity' }[],
  ): Promise<Set<string>>;
  close(): Promise<void>;
}

const STATE_NAMES: Record<number, StoredRun['state']> = {
  [WorkflowState.Created]: 'created',
  [WorkflowState.Running]: 'running',
  [WorkflowState.Completed]: 'completed',
  [WorkflowState.Zombie]: 'zombie',
};

export async function openStoreReader(o: { backend: BackendOptions; numShards: number }): Promise<StoreReader> {
  const opening = o.backend.store === 'memory' ? undefined : openBackend(o.backend);
  if (!opening) throw new StoreUnavailableError(`no persistent store to read (store ${o.backend.store})`);
  const stores = await opening;
  const p: Persistence = createPersistence(stores);
  const snapshots = new Map<string, { treeId: string; branchId: string }>();
  return {
    numShards: o.numShards,
    async namespaceId(name) {
      return (await p.namespaces.getNamespaceByName(name))?.id;
    },
    async *runs(filter) {
      for (let shardId = 1; shardId <= o.numShards; shardId++) {
        let token: Uint8Array | undefined;
        do {
          const page = await p.executions.listWorkflowExecutions(shardId, 500, token);
          for (const s of page.items) {
            const i = s.info;
            if (!filter(i.namespaceId, i.workflowId)) continue;
            snapshots.set(`${i.namespaceId}/${i.workflowId}/${i.runId}`, { treeId: i.treeId, branchId: i.branchId });
            yield {
              namespaceId: i.namespaceId,
              workflowId: i.workflowId,
              runId: i.runId,
              shardId,
              state: STATE_NAMES[i.state] ?? 'zombie',
              status: i.status,
              nextEventId: i.nextEventId,
              completionEventId: i.completionEventId,
              pendingActivities: [...s.activities.keys()].sort((a, b) => a - b),
              pendingTimers: [...s.timers.values()].map((t) => t.startedEventId).sort((a, b) => a - b),
              bufferedEvents: s.bufferedEvents.length,
              workflowTaskScheduledEventId: i.workflowTask?.scheduledEventId ?? 0,
              workflowType: i.workflowType,
              newRunId: i.newRunId,
              startTimeMs: i.startTimeMs,
              taskQueues: [
                ...(i.workflowTask ? [{ name: i.workflowTask.taskQueue, type: 'workflow' as const }] : []),
                ...[...s.activities.values()].map((a) => ({ name: a.taskQueue, type: 'activity' as const })),
              ],
              parent: i.parent
                ? {
                    workflowId: i.parent.workflowId,
                    runId: i.parent.runId,
                    initiatedEventId: i.parent.initiatedEventId,
                  }
                : null,
              firstRunId: i.firstRunId,
              pendingChildren: Object.values(i.children ?? {}).map((c) => ({
                initiatedEventId: c.initiatedEventId,
                workflowId: c.workflowId,
                startedRunId: c.startedRunId,
                parentClosePolicy: c.parentClosePolicy,
              })),
              updates: Object.fromEntries(
                Object.entries(i.updateInfos ?? {}).map(([id, u]) => [
                  id,
                  { acceptedEventId: u.acceptedEventId, completedEventId: u.completedEventId },
                ]),
              ),
            };
          }
          token = page.nextPageToken;
        } while (token);
      }
    },
    async history(run) {
      const branch = snapshots.get(`${run.namespaceId}/${run.workflowId}/${run.runId}`);
      if (!branch) throw new Error(`run ${run.workflowId}/${run.runId} was not listed by this reader`);
      const events: temporal.api.history.v1.IHistoryEvent[] = [];
      let token: Uint8Array | undefined;
      do {
        const page = await p.executions.readHistoryBranch({
          ...branch,
          minEventId: 1,
          maxEventId: run.nextEventId,
          pageSize: 1000,
          pageToken: token,
        });
        // Stored events carry int64 fields as plain numbers or Longs; readers convert either way.
        events.push(...(page.events as temporal.api.history.v1.IHistoryEvent[]));
        token = page.nextPageToken;
      } while (token);
      return events;
    },
    async currentRunId(namespaceId, workflowId) {
      const shardId = shardFor(namespaceId, workflowId, o.numShards);
      return (await p.executions.getCurrentExecution(shardId, namespaceId, workflowId))?.runId;
    },
    async runsWithPendingTasks(namespaceId, queues) {
      const out = new Set<string>();
      const add = (t: { namespaceId: string; workflowId: string; runId: string }): void => {
        out.add(`${t.namespaceId}/${t.workflowId}/${t.runId}`);
      };
      for (let shardId = 1; shardId <= o.numShards; shardId++) {
        for (let after = -1; ;) {
          const page = await p.executions.getTransferTasks(shardId, 'transfer', after, Number.MAX_SAFE_INTEGER, 1000);
          for (const t of page) add(t.key);
          const last = page[page.length - 1];
          if (!last || page.length < 1000) break;
          after = last.taskId;
        }
        for (let after: { fireTimeMs: number; taskId: number } | undefined; ;) {
          const page = await p.executions.getTimerTasks(shardId, 0, Number.MAX_SAFE_INTEGER, 1000, after);
          for (const t of page) add(t.key);
          const last = page[page.length - 1];
          if (!last || page.length < 1000) break;
          after = { fireTimeMs: last.visibilityTimeMs, taskId: last.taskId };
        }
      }
      const seen = new Set<string>();
      for (const q of queues) {
        const id = `${q.type}/${q.name}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const key = { namespaceId, name: q.name, type: q.type };
        for (let after = -1; ;) {
          const page = await p.tasks.getTasks(key, after, Number.MAX_SAFE_INTEGER, 1000);
          for (const t of page) add(t);
          const last = page[page.length - 1];
          if (!last || page.length < 1000) break;
          after = last.taskId;
        }
      }
      return out;
    },
    close: () => p.close(),
  };
}
