import { ShardOwnershipLostError } from '../errors.js';
import type { ShardRow, ShardStore } from '../store.js';
import type { MemoryDatabase } from './database.js';

export class MemoryShardStore implements ShardStore {
  constructor(private readonly db: MemoryDatabase) {}

  getOrCreateShard(shardId: number, initial: ShardRow): Promise<ShardRow> {
    const p = this.db.partition(shardId);
    p.shard ??= { ...initial };
    return Promise.resolve({ ...p.shard });
  }

  updateShard(row: ShardRow, previousRangeId: number): Promise<void> {
    const p = this.db.partition(row.shardId);
    if (p.shard?.rangeId !== previousRangeId) {
      throw new ShardOwnershipLostError(row.shardId, previousRangeId, p.shard?.rangeId);
    }
    p.shard = { ...row };
    return Promise.resolve();
  }
}
