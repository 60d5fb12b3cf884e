/**
 * Matching backlog on PostgreSQL: `task_queues` (one row per queue: the lease's range_id and the queue's state) and
 * `tasks`, keyed like Temporal's by (range_hash, task_queue_id). Creating tasks write-locks the queue row
 * (Temporal's LockTaskQueues, FOR UPDATE), checks the lease and inserts the tasks in one transaction.
 */
import { TaskQueueLeaseLostError } from '../errors.js';
import type { TaskQueueKey } from '../records.js';
import type { TaskQueueRow, TaskRange, TaskRow, TaskStore } from '../store.js';
import type { PgContext } from './context.js';
import { ENCODING, buf, num } from './values.js';

/** Temporal packs namespace id, queue name and type into task_queue_id and hashes it into range_hash. */
function queueId(k: TaskQueueKey): Buffer {
  return Buffer.from(`${k.namespaceId}\u0000${k.name}\u0000${k.type === 'workflow' ? 1 : 0}`, 'utf8');
}

/** FNV-1a, 32 bits: a stable spread of queues over range_hash. */
function rangeHash(id: Buffer): number {
  let h = 0x811c9dc5;
  for (const b of id) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function pk(k: TaskQueueKey): [number, Buffer] {
  const id = queueId(k);
  return [rangeHash(id), id];
}

const QUEUE = 'range_hash = $1 AND task_queue_id = $2';

export class PgTaskStore implements TaskStore {
  constructor(private readonly cx: PgContext) {}

  private async read(key: TaskQueueKey): Promise<TaskQueueRow | undefined> {
    const r = await this.cx.query<{ range_id: string; data: Buffer }>(
      'matching.queue.get',
      `SELECT range_id, data FROM task_queues WHERE ${QUEUE}`,
      pk(key),
    );
    const row = r.rows[0];
    return row ? { rangeId: num(row.range_id), blob: row.data } : undefined;
  }

  async getOrCreateTaskQueue(key: TaskQueueKey, initial: TaskQueueRow): Promise<TaskQueueRow> {
    const existing = await this.read(key);
    if (existing) return existing;
    const ins = await this.cx.query(
      'matching.queue.create',
      'INSERT INTO task_queues (range_hash, task_queue_id, range_id, data, data_encoding) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [...pk(key), initial.rangeId, buf(initial.blob), ENCODING],
    );
    if (ins.rowCount === 1) return { ...initial };
    return (await this.read(key)) ?? { ...initial };
  }

  async updateTaskQueue(key: TaskQueueKey, row: TaskQueueRow, previousRangeId: number): Promise<void> {
    await this.cx.transaction('matching.queue.update', async (tx) => {
      const r = await tx.query<{ range_id: string }>(
        'matching.queue.lock',
        `SELECT range_id FROM task_queues WHERE ${QUEUE} FOR UPDATE`,
        pk(key),
      );
      const actual = r.rows[0] === undefined ? undefined : num(r.rows[0].range_id);
      if (actual !== previousRangeId) throw new TaskQueueLeaseLostError(key.name, previousRangeId, actual);
      await tx.query(
        'matching.queue.write',
        `UPDATE task_queues SET range_id = $3, data = $4, data_encoding = $5 WHERE ${QUEUE}`,
        [...pk(key), row.rangeId, buf(row.blob), ENCODING],
      );
    });
  }

  async createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void> {
    await this.cx.transaction('matching.tasks.create', async (tx) => {
      const r = await tx.query<{ range_id: string }>(
        'matching.queue.lock',
        `SELECT range_id FROM task_queues WHERE ${QUEUE} FOR UPDATE`,
        pk(key),
      );
      const actual = r.rows[0] === undefined ? undefined : num(r.rows[0].range_id);
      if (actual !== rangeId) throw new TaskQueueLeaseLostError(key.name, rangeId, actual);
      await tx.query(
        'matching.tasks.insert',
        'INSERT INTO tasks (range_hash, task_queue_id, task_id, data, data_encoding) SELECT $1, $2, t.id, t.data, $5 FROM unnest($3::bigint[], $4::bytea[]) AS t(id, data)',
        [...pk(key), tasks.map((t) => t.taskId), tasks.map((t) => buf(t.blob)), ENCODING],
      );
    });
  }

  async getTasks(key: TaskQueueKey, range: TaskRange): Promise<TaskRow[]> {
    const r = await this.cx.query<{ task_id: string; data: Buffer }>(
      'matching.tasks.read',
      `SELECT task_id, data FROM tasks WHERE ${QUEUE} AND task_id > $3 AND task_id <= $4 ORDER BY task_id LIMIT $5`,
      [...pk(key), range.minTaskId, range.maxTaskId, range.pageSize],
    );
    return r.rows.map((x) => ({ taskId: num(x.task_id), blob: x.data }));
  }

  async completeTasksLessThan(key: TaskQueueKey, exclusiveMaxTaskId: number): Promise<number> {
    const r = await this.cx.query('matching.tasks.range_delete', `DELETE FROM tasks WHERE ${QUEUE} AND task_id < $3`, [
      ...pk(key),
      exclusiveMaxTaskId,
    ]);
    return r.rowCount ?? 0;
  }
}
