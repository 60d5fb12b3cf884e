/** Schedules on Cassandra: one row per schedule in its namespace's partition, written with LWTs on `version`. */
import { AlreadyExistsError, ConditionFailedError } from '../errors.js';
import { RECORD_ENCODING } from '../serialization.js';
import type { ScheduleRow, ScheduleStore } from '../store.js';
import type { CassandraContext } from './context.js';
import { asBuffer, asNumber, asString } from './values.js';

export class CassandraScheduleStore implements ScheduleStore {
  constructor(private readonly cx: CassandraContext) {}

  async createSchedule(row: ScheduleRow): Promise<void> {
    const rs = await this.cx.execute(
      'schedule.create',
      'INSERT INTO schedules (namespace_id, schedule_id, data, data_encoding, version) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS',
      [row.namespaceId, row.scheduleId, Buffer.from(row.blob), RECORD_ENCODING, row.version],
      { write: true, conditional: true },
    );
    if (rs.wasApplied()) return this.cx.settle(rs);
    const err = new AlreadyExistsError(`schedule ${row.scheduleId} already exists`);
    this.cx.settle(rs, err);
    throw err;
  }

  async updateSchedule(row: ScheduleRow, previousVersion: number): Promise<void> {
    const rs = await this.cx.execute(
      'schedule.update',
      'UPDATE schedules SET data = ?, data_encoding = ?, version = ? WHERE namespace_id = ? AND schedule_id = ? IF version = ?',
      [Buffer.from(row.blob), RECORD_ENCODING, row.version, row.namespaceId, row.scheduleId, previousVersion],
      { write: true, conditional: true },
    );
    if (rs.wasApplied()) return this.cx.settle(rs);
    const err = new ConditionFailedError(`schedule ${row.scheduleId}: version changed`);
    this.cx.settle(rs, err);
    throw err;
  }

  async deleteSchedule(namespaceId: string, scheduleId: string): Promise<void> {
    await this.cx.execute(
      'schedule.delete',
      'DELETE FROM schedules WHERE namespace_id = ? AND schedule_id = ?',
      [namespaceId, scheduleId],
      { write: true, conditional: false },
    );
  }

  async listSchedules(namespaceId: string): Promise<ScheduleRow[]> {
    const rs = await this.cx.execute(
      'schedule.list',
      'SELECT schedule_id, data, version FROM schedules WHERE namespace_id = ?',
      [namespaceId],
      { write: false, conditional: false },
    );
    return rs.rows.map((r) => ({
      namespaceId,
      scheduleId: asString(r.get('schedule_id')),
      blob: asBuffer(r.get('data')),
      version: asNumber(r.get('version')),
    }));
  }
}
