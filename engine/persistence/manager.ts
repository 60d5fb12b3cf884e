/**
 * Managers: the persistence API the services use (data-interfaces.ts). They speak records (records.ts), serialize
 * them for the stores (store.ts) and check invariants before anything reaches a backend. Retries and metrics are
 * decorators around these interfaces (decorators.ts), never mixed in here.
 */
import type { NamespaceManager, Persistence, ShardManager, TaskManager, ExecutionManager } from './data-interfaces.js';
import { withHealth, withLatency, withRetries, type RetryPolicy } from './decorators.js';
import { StoreHealth } from './health.js';
import { checkInvariant, InvariantViolationError } from './errors.js';
import { DefaultExecutionManager } from './execution-manager.js';
import { DefaultMembershipManager } from './membership-manager.js';
import type { MatchingTask, NamespaceRecord, ShardInfo, TaskQueueInfo, TaskQueueKey } from './records.js';
import { decodeRecord, encodeRecord } from './serialization.js';
import type { MembershipStore, Stores } from './store.js';

export type * from './data-interfaces.js';
export { InvariantViolationError };
export { MemberAddressError, memberEndpoint } from './membership-manager.js';

class DefaultShardManager implements ShardManager {
  constructor(private readonly stores: Stores) {}

  async getOrCreateShard(shardId: number, owner: string): Promise<ShardInfo> {
    const initial: ShardInfo = {
      shardId,
      rangeId: 0,
      owner,
      transferAckLevel: 0,
      timerAckLevelMs: 0,
      visibilityAckLevel: 0,
      updatedAtMs: Date.now(),
    };
    const row = await this.stores.shards.getOrCreateShard(shardId, {
      shardId,
      rangeId: 0,
      blob: encodeRecord(initial),
    });
    return { ...decodeRecord<ShardInfo>(row.blob), rangeId: row.rangeId };
  }

  updateShard(info: ShardInfo, previousRangeId: number): Promise<void> {
    checkInvariant(info.rangeId >= previousRangeId, 'range ids never go back');
    return this.stores.shards.updateShard(
      { shardId: info.shardId, rangeId: info.rangeId, blob: encodeRecord(info) },
      previousRangeId,
    );
  }
}

class DefaultTaskManager implements TaskManager {
  constructor(private readonly stores: Stores) {}

  async leaseTaskQueue(key: TaskQueueKey, kind: 'normal' | 'sticky', nowMs: number): Promise<TaskQueueInfo> {
    const initial: TaskQueueInfo = { rangeId: 0, ackLevel: 0, kind, lastUpdateMs: nowMs };
    const row = await this.stores.tasks.getOrCreateTaskQueue(key, { rangeId: 0, blob: encodeRecord(initial) });
    const info: TaskQueueInfo = {
      ...decodeRecord<TaskQueueInfo>(row.blob),
      rangeId: row.rangeId + 1,
      lastUpdateMs: nowMs,
    };
    await this.stores.tasks.updateTaskQueue(key, { rangeId: info.rangeId, blob: encodeRecord(info) }, row.rangeId);
    return info;
  }

  updateTaskQueue(key: TaskQueueKey, info: TaskQueueInfo, previousRangeId: number): Promise<void> {
    return this.stores.tasks.updateTaskQueue(key, { rangeId: info.rangeId, blob: encodeRecord(info) }, previousRangeId);
  }

  createTasks(key: TaskQueueKey, rangeId: number, tasks: MatchingTask[]): Promise<void> {
    const lo = rangeId * 2 ** 20;
    for (const t of tasks)
      if (!(t.taskId >= lo && t.taskId < lo + 2 ** 20))
        throw new InvariantViolationError(`task id ${t.taskId} outside lease ${rangeId}`);
    return this.stores.tasks.createTasks(
      key,
      rangeId,
      tasks.map((t) => ({ taskId: t.taskId, blob: encodeRecord(t) })),
    );
  }

  async getTasks(
    key: TaskQueueKey,
    minTaskIdExclusive: number,
    maxTaskIdInclusive: number,
    pageSize: number,
  ): Promise<MatchingTask[]> {
    const rows = await this.stores.tasks.getTasks(key, {
      minTaskId: minTaskIdExclusive,
      maxTaskId: maxTaskIdInclusive,
      pageSize,
    });
    return rows.map((r) => ({ ...decodeRecord<MatchingTask>(r.blob), taskId: r.taskId }));
  }

  completeTasksLessThan(key: TaskQueueKey, exclusiveMaxTaskId: number): Promise<number> {
    return this.stores.tasks.completeTasksLessThan(key, exclusiveMaxTaskId);
  }
}

class DefaultNamespaceManager implements NamespaceManager {
  constructor(private readonly stores: Stores) {}

  createNamespace(record: NamespaceRecord): Promise<void> {
    return this.stores.namespaces.createNamespace({
      id: record.id,
      name: record.name,
      notificationVersion: record.notificationVersion,
      blob: encodeRecord(record),
    });
  }

  updateNamespace(record: NamespaceRecord, previousNotificationVersion: number): Promise<void> {
    return this.stores.namespaces.updateNamespace(
      { id: record.id, name: record.name, notificationVersion: record.notificationVersion, blob: encodeRecord(record) },
      previousNotificationVersion,
    );
  }

  async getNamespaceByName(name: string): Promise<NamespaceRecord | undefined> {
    const row = await this.stores.namespaces.getNamespaceByName(name);
    return row && decodeRecord<NamespaceRecord>(row.blob);
  }

  async getNamespaceById(id: string): Promise<NamespaceRecord | undefined> {
    const row = await this.stores.namespaces.getNamespaceById(id);
    return row && decodeRecord<NamespaceRecord>(row.blob);
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    return (await this.stores.namespaces.listNamespaces()).map((r) => decodeRecord<NamespaceRecord>(r.blob));
  }
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 3, initialBackoffMs: 50, maxBackoffMs: 1000 };

/** The managers over a backend's stores, each behind the health and retry decorators. */
export function createPersistence(
  stores: Stores,
  opts: { retry?: RetryPolicy; injectLatencyMs?: number; probeIntervalMs?: number } = {},
): Persistence {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const health = new StoreHealth(() => stores.ping(), { probeIntervalMs: opts.probeIntervalMs ?? 500 });
  // Health sees every attempt (inside the retries): the first failed call of an outage opens it.
  const wrap = <T extends object>(m: T): T =>
    withRetries(withHealth(opts.injectLatencyMs ? withLatency(m, opts.injectLatencyMs) : m, health), retry);
  const shards: ShardManager = wrap(new DefaultShardManager(stores));
  const executions: ExecutionManager = wrap(new DefaultExecutionManager(stores));
  const tasks: TaskManager = wrap(new DefaultTaskManager(stores));
  const namespaces: NamespaceManager = wrap(new DefaultNamespaceManager(stores));
  const membership: MembershipStore = wrap(new DefaultMembershipManager(stores));
  return {
    backend: stores.backend,
    releaseVersion: stores.releaseVersion,
    metrics: stores.metrics,
    shards,
    executions,
    tasks,
    namespaces,
    membership,
    visibility: stores.visibility ? wrap(stores.visibility) : undefined,
    schedules: stores.schedules ? wrap(stores.schedules) : undefined,
    health,
    close: () => {
      health.stop();
      return stores.close();
    },
  };
}
