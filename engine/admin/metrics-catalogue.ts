/**
 * The engine's Prometheus catalogue: which of its numbers `/metrics` exports, under which name, with which help text
 * (prometheus.ts writes the exposition format). deploy/grafana's dashboard and test/grafana-dashboard.test.ts read
 * these names.
 */
import type { EngineServices } from '../services.js';
import type { MetricsSource } from './prometheus.js';
import { limitEntries } from '../limits.js';
import { transportEntries } from '../frontend/transport.js';
import { transportOf } from '../options.js';

/** CPU time of the whole process (every thread), in seconds. */
function cpuSeconds(): number {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1e6;
}

export function engineMetrics(s: EngineServices): MetricsSource {
  const cluster = s.cluster;
  return {
    rpc: () => s.rpcStats.entries(),
    ...(cluster
      ? {
          forwarded: () => cluster.forwardEntries(),
          labelledCounters: () => {
            const c = cluster.stats();
            const fwd = (kind: keyof typeof c.forwarded) => ({
              help: 'Calls this member sent to the member that owns their shard or task queue, by kind.',
              value: c.forwarded[kind],
              labels: { kind },
            });
            const handoff = (direction: string, value: number) => ({
              help: 'Shards this member took (acquired) or let go to another member (released).',
              value,
              labels: { direction },
            });
            return {
              stampede_cluster_forwarded_total: [fwd('frontend'), fwd('history'), fwd('matching'), fwd('visibility')],
              stampede_cluster_shard_handoffs_total: [
                handoff('acquired', c.shardsAcquired),
                handoff('released', c.shardsReleased),
              ],
              stampede_cluster_rerouted_total: [
                {
                  help: 'Calls retried with a new owner because their shard or task queue was moving between members.',
                  value: c.rerouted,
                  labels: {},
                },
              ],
            };
          },
        }
      : {}),
    statements: () => s.persistence.metrics.entries(),
    counters: () => {
      const h = s.history.stats();
      const m = s.matching.stats();
      return {
        stampede_history_transactions_total: {
          help: 'Workflow transactions committed.',
          value: h.transactionsCommitted,
        },
        stampede_history_conflicts_total: {
          help: 'Workflow writes that failed a condition or had an unknown outcome (then retried).',
          value: h.conflicts,
        },
        stampede_history_lock_waits_total: {
          help: 'Workflow updates that queued behind another update of the same run.',
          value: h.lockWaits,
        },
        stampede_history_buffered_events_total: {
          help: 'Signals and other external events buffered because a workflow task was in flight.',
          value: h.bufferedEvents,
        },
        stampede_history_task_errors_total: {
          help: 'Transfer/timer/visibility task executions that failed (then retried).',
          value: h.taskErrors,
        },
        stampede_history_shard_reloads_total: {
          help: 'Shards dropped from memory and read again from the store (after a store outage, or lost writes).',
          value: h.shardReloads,
        },
        stampede_store_outages_total: {
          help: 'Store outages that ended (the store was unreachable, then answered a probe again).',
          value: s.persistence.health.recoveries,
        },
        stampede_matching_sync_matched_total: {
          help: 'Tasks handed straight to a waiting poller (nothing written).',
          value: m.syncMatched,
        },
        stampede_matching_persisted_total: {
          help: 'Tasks written to a task queue backlog.',
          value: m.persisted,
        },
        stampede_limit_blob_size_warnings_total: {
          help: 'Payloads accepted above limit.blobSize.warn.',
          value: s.limitCounters.blobSizeWarnings,
        },
        stampede_limit_history_size_warnings_total: {
          help: 'Workflow updates whose history was above limit.historySize.warn.',
          value: s.limitCounters.historySizeWarnings,
        },
        stampede_limit_history_count_warnings_total: {
          help: 'Workflow updates whose history was above limit.historyCount.warn.',
          value: s.limitCounters.historyCountWarnings,
        },
        stampede_limit_history_terminations_total: {
          help: 'Runs terminated for passing limit.historySize.error or limit.historyCount.error.',
          value: s.limitCounters.historyLimitTerminations,
        },
        stampede_limit_pending_failures_total: {
          help: 'Workflow tasks failed for reaching a pending activity/timer/child/signal/cancel-request limit.',
          value: s.limitCounters.pendingLimitFailures,
        },
        stampede_transport_connections_refused_total: {
          help: 'Connections closed on arrival because the connection cap was reached with every connection busy.',
          value: s.transportCounters.connectionsRefused,
        },
        stampede_transport_connections_evicted_total: {
          help: 'Idle connections closed to make room for a new one at the connection cap.',
          value: s.transportCounters.connectionsEvicted,
        },
        stampede_transport_handshake_timeouts_total: {
          help: 'Connections closed for not completing the HTTP/2 handshake in time.',
          value: s.transportCounters.handshakeTimeouts,
        },
        stampede_transport_idle_closed_total: {
          help: 'Idle connections destroyed after ignoring their GOAWAY.',
          value: s.transportCounters.idleClosed,
        },
        stampede_transport_large_messages_refused_total: {
          help: 'Large request messages refused (RESOURCE_EXHAUSTED) because the most allowed at once were in flight.',
          value: s.transportCounters.largeMessagesRefused,
        },
        stampede_transport_slow_readers_closed_total: {
          help: 'Connections closed for holding unsent replies while their client read nothing.',
          value: s.transportCounters.slowReadersClosed,
        },
        stampede_process_cpu_seconds_total: {
          help: 'User and system CPU time of the engine process, seconds (rate() = cores busy).',
          value: cpuSeconds(),
        },
      };
    },
    gauges: () => {
      const h = s.history.stats();
      const m = s.matching.stats();
      const mem = process.memoryUsage();
      return {
        stampede_shards_owned: [{ help: 'History shards this engine owns.', value: h.shardsOwned }],
        ...(cluster
          ? {
              stampede_cluster_members: [{ help: 'Live members of the engine cluster.', value: cluster.live.length }],
            }
          : {}),
        stampede_store_up: [
          { help: '1 while the store answers, 0 during an outage.', value: s.persistence.health.down ? 0 : 1 },
        ],
        stampede_shards_total: [{ help: 'History shards configured.', value: s.options.numShards }],
        stampede_history_cached_runs: [{ help: 'Workflow runs in the mutable-state cache.', value: h.cachedRuns }],
        stampede_history_transfer_backlog: [{ help: 'Transfer tasks not yet completed.', value: h.transferBacklog }],
        stampede_history_timer_backlog: [
          { help: 'Timer tasks held in memory (due within the look-ahead window).', value: h.timerBacklog },
        ],
        stampede_matching_backlog: [
          { help: 'Tasks waiting in task queues (persisted backlog, in memory).', value: m.backlog },
        ],
        stampede_matching_pollers: [{ help: 'Long polls waiting for a task.', value: m.pollers }],
        stampede_matching_task_queues: [{ help: 'Task queues loaded.', value: m.queues }],
        stampede_visibility_records: [{ help: 'Runs in the visibility store.', value: s.visibility.size() }],
        stampede_transport_connections_open: [
          { help: 'Client connections open to the gRPC frontend.', value: s.transportCounters.connectionsOpen },
        ],
        stampede_transport_large_messages_in_flight: [
          {
            help: 'Large request messages being received or handled.',
            value: s.transportCounters.largeMessagesInFlight,
          },
        ],
        stampede_process_resident_memory_bytes: [{ help: 'Resident set size of the engine process.', value: mem.rss }],
        stampede_process_heap_used_bytes: [{ help: 'V8 heap in use.', value: mem.heapUsed }],
        // Each limit as configured, labelled with its key in Temporal's dynamic config (engine/limits.ts).
        stampede_limit: limitEntries(s.limits).map(({ key, value }) => ({
          help: "The engine's limits, by their key in Temporal's dynamic config.",
          value,
          labels: { key },
        })),
        // Each transport bound as configured (engine/frontend/transport.ts).
        stampede_transport_setting: transportEntries(transportOf(s.options)).map(({ key, value }) => ({
          help: "The gRPC frontend's transport bounds, by key.",
          value,
          labels: { key },
        })),
      };
    },
  };
}
