/**
 * Schedules on PostgreSQL: one `schedules` row per schedule, keyed by namespace and id. An update is conditional on
 * the version read (`UPDATE ... WHERE version = $previous`, one row or none), as Cassandra's LWT on `version` is.
 */
import { AlreadyExistsError, ConditionFailedError } from '../errors.js';
import { RECORD_ENCODING } from '../serialization.js';
import type { ScheduleRow, ScheduleStore } from '../store.js';
import type { PgContext } from './context.js';
import { buf, num } from './values.js';

type Row = { schedule_id: string; data: Buffer; version: string };

export class PgScheduleStore implements ScheduleStore {
  constructor(private readonly cx: PgContext) {}

  async createSchedule(row: ScheduleRow): Promise<void> {
    const r = await this.cx.query(
      'schedule.create',
      'INSERT INTO schedules (namespace_id, schedule_id, data, data_encoding, version) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [row.namespaceId, row.scheduleId, buf(row.blob), RECORD_ENCODING, row.version],
    );
    if (r.rowCount !== 1) throw new AlreadyExistsError(`schedule ${row.scheduleId} already exists`);
  }

  async updateSchedule(row: ScheduleRow, previousVersion: number): Promise<void> {
    const r = await this.cx.query(
      'schedule.update',
      'UPDATE schedules SET data = $3, data_encoding = $4, version = $5 WHERE namespace_id = $1 AND schedule_id = $2 AND version = $6',
      [row.namespaceId, row.scheduleId, buf(row.blob), RECORD_ENCODING, row.version, previousVersion],
    );
    if (r.rowCount !== 1) throw new ConditionFailedError(`schedule ${row.scheduleId}: version changed`);
  }

  async deleteSchedule(namespaceId: string, scheduleId: string): Promise<void> {
    await this.cx.query('schedule.delete', 'DELETE FROM schedules WHERE namespace_id = $1 AND schedule_id = $2', [
      namespaceId,
      scheduleId,
    ]);
  }

  async listSchedules(namespaceId: string): Promise<ScheduleRow[]> {
    const r = await this.cx.query<Row>(
      'schedule.list',
      'SELECT schedule_id, data, version FROM schedules WHERE namespace_id = $1 ORDER BY schedule_id',
      [namespaceId],
    );
    return r.rows.map((x) => ({ namespaceId, scheduleId: x.schedule_id, blob: x.data, version: num(x.version) }));
  }
}
