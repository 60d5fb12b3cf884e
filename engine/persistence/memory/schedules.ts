import { AlreadyExistsError, ConditionFailedError } from '../errors.js';
import type { ScheduleRow, ScheduleStore } from '../store.js';
import type { MemoryDatabase } from './database.js';

export class MemoryScheduleStore implements ScheduleStore {
  constructor(private readonly db: MemoryDatabase) {}

  private partition(namespaceId: string): Map<string, ScheduleRow> {
    let p = this.db.schedules.get(namespaceId);
    if (!p) {
      p = new Map();
      this.db.schedules.set(namespaceId, p);
    }
    return p;
  }

  createSchedule(row: ScheduleRow): Promise<void> {
    const p = this.partition(row.namespaceId);
    if (p.has(row.scheduleId)) throw new AlreadyExistsError(`schedule ${row.scheduleId} already exists`);
    p.set(row.scheduleId, { ...row });
    return Promise.resolve();
  }

  updateSchedule(row: ScheduleRow, previousVersion: number): Promise<void> {
    const p = this.partition(row.namespaceId);
    if (p.get(row.scheduleId)?.version !== previousVersion)
      throw new ConditionFailedError(`schedule ${row.scheduleId}: version changed`);
    p.set(row.scheduleId, { ...row });
    return Promise.resolve();
  }

  deleteSchedule(namespaceId: string, scheduleId: string): Promise<void> {
    this.db.schedules.get(namespaceId)?.delete(scheduleId);
    return Promise.resolve();
  }

  listSchedules(namespaceId: string): Promise<ScheduleRow[]> {
    return Promise.resolve([...(this.db.schedules.get(namespaceId)?.values() ?? [])].map((r) => ({ ...r })));
  }
}
