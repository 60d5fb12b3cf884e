import { ShardOwnershipLostError } from '../errors.js';
import { RECORD_ENCODING } from '../serialization.js';
import type { ShardRow, ShardStore } from '../store.js';
import { DEFAULT_VISIBILITY_TS, RowType, SHARD_ROW } from './constants.js';
import type { CassandraContext } from './context.js';
import { asNumber } from './values.js';

const KEY = `shard_id = ? AND type = ${RowType.Shard} AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND visibility_ts = ? AND task_id = ?`;

function shardKey(shardId: number): unknown[] {
  return [
    shardId,
    SHARD_ROW.namespaceId,
    SHARD_ROW.workflowId,
    SHARD_ROW.runId,
    DEFAULT_VISIBILITY_TS,
    SHARD_ROW.taskId,
  ];
}

/** The fence every execution batch carries: `UPDATE shard row SET range_id = r IF range_id = r`. */
export function shardFence(shardId: number, rangeId: number): { query: string; params: unknown[] } {
  return {
    query: `UPDATE executions SET range_id = ? WHERE ${KEY} IF range_id = ?`,
    params: [rangeId, ...shardKey(shardId), rangeId],
  };
}

export class CassandraShardStore implements ShardStore {
  constructor(private readonly cx: CassandraContext) {}

  async getOrCreateShard(shardId: number, initial: ShardRow): Promise<ShardRow> {
    const rs = await this.cx.execute(
      'shard.get',
      `SELECT range_id, shard FROM executions WHERE ${KEY}`,
      shardKey(shardId),
      { write: false, conditional: false },
    );
    const row = rs.first();
    if (row) return { shardId, rangeId: asNumber(row.get('range_id')), blob: row.get('shard') as Buffer };
    const ins = await this.cx.execute(
      'shard.create',
      `INSERT INTO executions (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts, task_id, shard, shard_encoding, range_id) VALUES (?, ${RowType.Shard}, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
      [...shardKey(shardId), Buffer.from(initial.blob), RECORD_ENCODING, initial.rangeId],
      { write: true, conditional: true },
    );
    this.cx.settle(ins);
    if (ins.wasApplied()) return { ...initial };
    // Another engine created it at the same moment: take what it wrote.
    const existing = ins.first();
    return { shardId, rangeId: asNumber(existing?.get('range_id')), blob: existing?.get('shard') as Buffer };
  }

  async updateShard(row: ShardRow, previousRangeId: number): Promise<void> {
    const rs = await this.cx.execute(
      'shard.update',
      `UPDATE executions SET shard = ?, shard_encoding = ?, range_id = ? WHERE ${KEY} IF range_id = ?`,
      [Buffer.from(row.blob), RECORD_ENCODING, row.rangeId, ...shardKey(row.shardId), previousRangeId],
      { write: true, conditional: true },
    );
    if (rs.wasApplied()) {
      this.cx.settle(rs);
      return;
    }
    const err = new ShardOwnershipLostError(row.shardId, previousRangeId, asNumber(rs.first()?.get('range_id')));
    this.cx.settle(rs, err);
    throw err;
  }
}
