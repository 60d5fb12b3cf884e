/** Matching backlog on Cassandra: task rows and the queue's lease row (task_id -12345) in one partition per queue. */
import { TaskQueueLeaseLostError } from '../errors.js';
import type { TaskQueueKey } from '../records.js';
import { RECORD_ENCODING } from '../serialization.js';
import type { TaskQueueRow, TaskRange, TaskRow, TaskStore } from '../store.js';
import { TASK_QUEUE_ROW_TASK_ID, TasksRowType } from './constants.js';
import type { CassandraContext } from './context.js';
import { asBuffer, asNumber } from './values.js';

const PK = 'namespace_id = ? AND task_queue_name = ? AND task_queue_type = ?';
const QUEUE_ROW = `${PK} AND type = ${TasksRowType.TaskQueue} AND task_id = ${TASK_QUEUE_ROW_TASK_ID}`;

function pk(k: TaskQueueKey): unknown[] {
  return [k.namespaceId, k.name, k.type === 'workflow' ? 1 : 0];
}

export class CassandraTaskStore implements TaskStore {
  constructor(private readonly cx: CassandraContext) {}

  async getOrCreateTaskQueue(key: TaskQueueKey, initial: TaskQueueRow): Promise<TaskQueueRow> {
    const rs = await this.cx.execute(
      'matching.queue.get',
      `SELECT range_id, task_queue FROM tasks WHERE ${QUEUE_ROW}`,
      pk(key),
      { write: false, conditional: false },
    );
    const row = rs.first();
    if (row) return { rangeId: asNumber(row.get('range_id')), blob: asBuffer(row.get('task_queue')) };
    const ins = await this.cx.execute(
      'matching.queue.create',
      `INSERT INTO tasks (namespace_id, task_queue_name, task_queue_type, type, task_id, range_id, task_queue, task_queue_encoding) VALUES (?, ?, ?, ${TasksRowType.TaskQueue}, ${TASK_QUEUE_ROW_TASK_ID}, ?, ?, ?) IF NOT EXISTS`,
      [...pk(key), initial.rangeId, Buffer.from(initial.blob), RECORD_ENCODING],
      { write: true, conditional: true },
    );
    this.cx.settle(ins);
    if (ins.wasApplied()) return { ...initial };
    const existing = ins.first();
    return { rangeId: asNumber(existing?.get('range_id')), blob: asBuffer(existing?.get('task_queue')) };
  }

  async updateTaskQueue(key: TaskQueueKey, row: TaskQueueRow, previousRangeId: number): Promise<void> {
    const rs = await this.cx.execute(
      'matching.queue.update',
      `UPDATE tasks SET range_id = ?, task_queue = ?, task_queue_encoding = ? WHERE ${QUEUE_ROW} IF range_id = ?`,
      [row.rangeId, Buffer.from(row.blob), RECORD_ENCODING, ...pk(key), previousRangeId],
      { write: true, conditional: true },
    );
    if (rs.wasApplied()) {
      this.cx.settle(rs);
      return;
    }
    const err = new TaskQueueLeaseLostError(key.name, previousRangeId, asNumber(rs.first()?.get('range_id')));
    this.cx.settle(rs, err);
    throw err;
  }

  async createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void> {
    const rs = await this.cx.batch(
      'matching.tasks.create',
      [
        ...tasks.map((t) => ({
          query: `INSERT INTO tasks (namespace_id, task_queue_name, task_queue_type, type, task_id, task, task_encoding) VALUES (?, ?, ?, ${TasksRowType.Task}, ?, ?, ?)`,
          params: [...pk(key), t.taskId, Buffer.from(t.blob), RECORD_ENCODING],
        })),
        {
          query: `UPDATE tasks SET range_id = ? WHERE ${QUEUE_ROW} IF range_id = ?`,
          params: [rangeId, ...pk(key), rangeId],
        },
      ],
      true,
    );
    if (rs.wasApplied()) {
      this.cx.settle(rs);
      return;
    }
    const err = new TaskQueueLeaseLostError(key.name, rangeId, asNumber(rs.first()?.get('range_id')));
    this.cx.settle(rs, err);
    throw err;
  }

  async getTasks(key: TaskQueueKey, range: TaskRange): Promise<TaskRow[]> {
    const rs = await this.cx.execute(
      'matching.tasks.read',
      `SELECT task_id, task FROM tasks WHERE ${PK} AND type = ${TasksRowType.Task} AND task_id > ? AND task_id <= ? LIMIT ?`,
      [...pk(key), range.minTaskId, range.maxTaskId, range.pageSize],
      { write: false, conditional: false },
    );
    return rs.rows.map((r) => ({ taskId: asNumber(r.get('task_id')), blob: asBuffer(r.get('task')) }));
  }

  async completeTasksLessThan(key: TaskQueueKey, exclusiveMaxTaskId: number): Promise<number> {
    if (this.cx.rangeDeletes) {
      await this.cx.execute(
        'matching.tasks.range_delete',
        `DELETE FROM tasks WHERE ${PK} AND type = ${TasksRowType.Task} AND task_id < ?`,
        [...pk(key), exclusiveMaxTaskId],
        {
          write: true,
          conditional: false,
        },
      );
      return -1;
    }
    let deleted = 0;
    for (;;) {
      const rs = await this.cx.execute(
        'matching.tasks.read',
        `SELECT task_id FROM tasks WHERE ${PK} AND type = ${TasksRowType.Task} AND task_id < ? LIMIT 500`,
        [...pk(key), exclusiveMaxTaskId],
        {
          write: false,
          conditional: false,
        },
      );
      if (rs.rows.length === 0) return deleted;
      for (let i = 0; i < rs.rows.length; i += 50) {
        await this.cx.batch(
          'matching.tasks.delete',
          rs.rows.slice(i, i + 50).map((r) => ({
            query: `DELETE FROM tasks WHERE ${PK} AND type = ${TasksRowType.Task} AND task_id = ?`,
            params: [...pk(key), r.get('task_id')],
          })),
          false,
        );
      }
      deleted += rs.rows.length;
      if (rs.rows.length < 500) return deleted;
    }
  }
}
