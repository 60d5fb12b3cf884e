/** The memory backend: the embedded default. Same conditions and range-id fencing as Cassandra, no I/O. */
import { decorate } from '../decorators.js';
import { StatementMetrics } from '../statement-metrics.js';
import type { Stores } from '../store.js';
import { MemoryDatabase } from './database.js';
import { MemoryExecutionStore } from './executions.js';
import { MemoryHistoryStore } from './history.js';
import { MemoryMembershipStore } from './membership.js';
import { MemoryNamespaceStore } from './namespaces.js';
import { MemoryScheduleStore } from './schedules.js';
import { MemoryShardStore } from './shards.js';
import { MemoryTaskStore } from './tasks.js';

/** Statement classes of the memory store's operations (named like the Cassandra store's, for side-by-side reports). */
const CLASSES: Record<string, Record<string, [string, boolean]>> = {
  shards: { getOrCreateShard: ['shard.get_or_create', false], updateShard: ['shard.update', true] },
  executions: {
    createWorkflowExecution: ['execution.create', true],
    updateWorkflowExecution: ['execution.update', true],
    getWorkflowExecution: ['execution.get', false],
    getCurrentExecution: ['current.get', false],
    deleteWorkflowExecution: ['execution.delete', false],
    deleteCurrentExecution: ['current.delete', false],
    getTransferTasks: ['tasks.immediate.read', false],
    getTimerTasks: ['tasks.timer.read', false],
    rangeCompleteTransferTasks: ['tasks.immediate.range_delete', false],
    rangeCompleteTimerTasks: ['tasks.timer.range_delete', false],
    listExecutions: ['execution.scan', false],
  },
  history: {
    appendHistoryNodes: ['history.append', false],
    readHistoryNodes: ['history.read', false],
    deleteHistoryNode: ['history.trim', false],
    deleteHistoryBranch: ['history.delete_branch', false],
  },
  tasks: {
    getOrCreateTaskQueue: ['matching.queue.get_or_create', false],
    updateTaskQueue: ['matching.queue.update', true],
    createTasks: ['matching.tasks.create', true],
    getTasks: ['matching.tasks.read', false],
    completeTasksLessThan: ['matching.tasks.range_delete', false],
  },
  namespaces: {
    createNamespace: ['namespace.create', true],
    updateNamespace: ['namespace.update', true],
    getNamespaceByName: ['namespace.get', false],
    getNamespaceById: ['namespace.get', false],
    listNamespaces: ['namespace.list', false],
  },
  schedules: {
    createSchedule: ['schedule.create', true],
    updateSchedule: ['schedule.update', true],
    deleteSchedule: ['schedule.delete', false],
    listSchedules: ['schedule.list', false],
  },
  membership: {
    upsertMember: ['membership.upsert', false],
    listMembers: ['membership.list', false],
    removeMember: ['membership.remove', false],
  },
};

function instrument<T extends object>(
  store: T,
  metrics: StatementMetrics,
  classes: Record<string, [string, boolean]>,
): T {
  return decorate(store, (method, call) => {
    const c = classes[method];
    return c ? metrics.time(c[0], c[1], call) : call();
  });
}

export function createMemoryStores(db = new MemoryDatabase()): Stores {
  const metrics = new StatementMetrics();
  return {
    backend: 'memory',
    releaseVersion: undefined,
    metrics,
    shards: instrument(new MemoryShardStore(db), metrics, CLASSES.shards ?? {}),
    executions: instrument(new MemoryExecutionStore(db), metrics, CLASSES.executions ?? {}),
    history: instrument(new MemoryHistoryStore(db), metrics, CLASSES.history ?? {}),
    tasks: instrument(new MemoryTaskStore(db), metrics, CLASSES.tasks ?? {}),
    namespaces: instrument(new MemoryNamespaceStore(db), metrics, CLASSES.namespaces ?? {}),
    schedules: instrument(new MemoryScheduleStore(db), metrics, CLASSES.schedules ?? {}),
    membership: instrument(new MemoryMembershipStore(db), metrics, CLASSES.membership ?? {}),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

export { MemoryDatabase };
