/**
 * Shards on PostgreSQL: one row per shard in `shards`. Taking a shard over is `UPDATE ... WHERE range_id = old`;
 * every workflow transaction read-locks the row (FOR SHARE, Temporal's readLockShard) and checks range_id.
 */
import { ShardOwnershipLostError } from '../errors.js';
import type { ShardRow, ShardStore } from '../store.js';
import type { PgContext, Queryable } from './context.js';
import { ENCODING, buf, num } from './values.js';

/** Inside a workflow transaction: the shard row read-locked, its range_id checked (the fence). */
export async function readLockShard(tx: Queryable, shardId: number, rangeId: number): Promise<void> {
  const r = await tx.query<{ range_id: string }>(
    'shard.lock_read',
    'SELECT range_id FROM shards WHERE shard_id = $1 FOR SHARE',
    [shardId],
  );
  const actual = r.rows[0] === undefined ? undefined : num(r.rows[0].range_id);
  if (actual !== rangeId) throw new ShardOwnershipLostError(shardId, rangeId, actual);
}

export class PgShardStore implements ShardStore {
  constructor(private readonly cx: PgContext) {}

  private async read(shardId: number): Promise<ShardRow | undefined> {
    const r = await this.cx.query<{ range_id: string; data: Buffer }>(
      'shard.get',
      'SELECT range_id, data FROM shards WHERE shard_id = $1',
      [shardId],
    );
    const row = r.rows[0];
    return row ? { shardId, rangeId: num(row.range_id), blob: row.data } : undefined;
  }

  async getOrCreateShard(shardId: number, initial: ShardRow): Promise<ShardRow> {
    const existing = await this.read(shardId);
    if (existing) return existing;
    const ins = await this.cx.query(
      'shard.create',
      'INSERT INTO shards (shard_id, range_id, data, data_encoding) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [shardId, initial.rangeId, buf(initial.blob), ENCODING],
    );
    if (ins.rowCount === 1) return { ...initial };
    // Another engine created it at the same moment: take what it wrote.
    return (await this.read(shardId)) ?? { ...initial };
  }

  async updateShard(row: ShardRow, previousRangeId: number): Promise<void> {
    await this.cx.transaction('shard.update', async (tx) => {
      // Temporal's lockShard: the row write-locked, then compared and written.
      const r = await tx.query<{ range_id: string }>(
        'shard.lock',
        'SELECT range_id FROM shards WHERE shard_id = $1 FOR UPDATE',
        [row.shardId],
      );
      const actual = r.rows[0] === undefined ? undefined : num(r.rows[0].range_id);
      if (actual !== previousRangeId) throw new ShardOwnershipLostError(row.shardId, previousRangeId, actual);
      await tx.query(
        'shard.write',
        'UPDATE shards SET range_id = $2, data = $3, data_encoding = $4 WHERE shard_id = $1',
        [row.shardId, row.rangeId, buf(row.blob), ENCODING],
      );
    });
  }
}
