/**
 * Temporal's row layout in the `executions` table: one partition per history shard, rows told apart by `type`;
 * shard, current-run and task rows use constant placeholder ids so each kind clusters together.
 */
export const RowType = { Shard: 0, Execution: 1, TransferTask: 2, TimerTask: 3, VisibilityTask: 6 } as const;

export const SHARD_ROW = {
  namespaceId: '10000000-1000-f000-f000-000000000000',
  workflowId: '20000000-1000-f000-f000-000000000000',
  runId: '30000000-1000-f000-f000-000000000000',
  taskId: -11,
};

/** The "current run" row of a workflow id: its run_id is this constant, current_run_id names the run. */
export const CURRENT_RUN_ID = '30000000-0000-f000-f000-000000000001';

export const TASK_ROWS = {
  transfer: {
    namespaceId: '10000000-3000-f000-f000-000000000000',
    workflowId: '20000000-3000-f000-f000-000000000000',
    runId: '30000000-3000-f000-f000-000000000000',
  },
  timer: {
    namespaceId: '10000000-4000-f000-f000-000000000000',
    workflowId: '20000000-4000-f000-f000-000000000000',
    runId: '30000000-4000-f000-f000-000000000000',
  },
  visibility: {
    namespaceId: '10000000-6000-f000-f000-000000000000',
    workflowId: '20000000-6000-f000-f000-000000000000',
    runId: '30000000-6000-f000-f000-000000000000',
  },
} as const;

/** Execution and current rows carry this visibility_ts and task_id (only task rows vary them). */
export const DEFAULT_VISIBILITY_TS = 946_684_800_000;
export const EXECUTION_TASK_ID = -10;

/** task_id of the task-queue row in `tasks` (type 1). */
export const TASK_QUEUE_ROW_TASK_ID = -12_345;
export const TasksRowType = { Task: 0, TaskQueue: 1 } as const;

export const NAMESPACES_PARTITION = 0;

/** Temporal's membership_partition: every member's row in one partition. */
export const MEMBERSHIP_PARTITION = 0;
