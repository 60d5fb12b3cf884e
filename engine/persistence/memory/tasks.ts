import { TaskQueueLeaseLostError } from '../errors.js';
import type { TaskQueueKey } from '../records.js';
import type { TaskQueueRow, TaskRange, TaskRow, TaskStore } from '../store.js';
import type { MemoryDatabase } from './database.js';

function queueId(key: TaskQueueKey): string {
  return `${key.namespaceId}\u0000${key.name}\u0000${key.type}`;
}

export class MemoryTaskStore implements TaskStore {
  constructor(private readonly db: MemoryDatabase) {}

  getOrCreateTaskQueue(key: TaskQueueKey, initial: TaskQueueRow): Promise<TaskQueueRow> {
    const q = this.db.taskQueue(queueId(key));
    q.row ??= { ...initial };
    return Promise.resolve({ ...q.row });
  }

  updateTaskQueue(key: TaskQueueKey, row: TaskQueueRow, previousRangeId: number): Promise<void> {
    const q = this.db.taskQueue(queueId(key));
    if (q.row?.rangeId !== previousRangeId)
      throw new TaskQueueLeaseLostError(key.name, previousRangeId, q.row?.rangeId);
    q.row = { ...row };
    return Promise.resolve();
  }

  createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void> {
    const q = this.db.taskQueue(queueId(key));
    if (q.row?.rangeId !== rangeId) throw new TaskQueueLeaseLostError(key.name, rangeId, q.row?.rangeId);
    for (const t of tasks) q.tasks.set(t.taskId, t.blob);
    return Promise.resolve();
  }

  getTasks(key: TaskQueueKey, range: TaskRange): Promise<TaskRow[]> {
    const q = this.db.taskQueue(queueId(key));
    const out: TaskRow[] = [];
    for (const [taskId, blob] of q.tasks.entries(range.minTaskId + 1)) {
      if (taskId > range.maxTaskId || out.length >= range.pageSize) break;
      out.push({ taskId, blob });
    }
    return Promise.resolve(out);
  }

  completeTasksLessThan(key: TaskQueueKey, exclusiveMaxTaskId: number): Promise<number> {
    const q = this.db.taskQueue(queueId(key));
    return Promise.resolve(q.tasks.deleteRange(Number.MIN_SAFE_INTEGER, exclusiveMaxTaskId, false));
  }
}
