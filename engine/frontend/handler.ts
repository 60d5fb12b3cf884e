/** What an RPC handler receives: the services, the call's deadline and cancellation, and frontend limits. */
import type { Clock } from '../clock.js';
import type { Wire } from '../proto.js';
import type { HistoryService } from '../history/history-service.js';
import type { MatchingService } from '../matching/matching-service.js';
import type { Scheduler } from '../schedules/scheduler.js';
import type { VisibilityQueries } from '../visibility/visibility-store.js';
import type { VisibilityBackend } from '../persistence/store.js';
import type { NamespaceRegistry } from './namespace-registry.js';
import type { EngineLimits, LimitCounters } from '../limits.js';

export interface CallContext {
  /** Epoch ms of the client's gRPC deadline, if it set one. */
  deadlineMs: number | undefined;
  /** Aborted when the client cancels or disconnects (made on first use). */
  readonly signal: AbortSignal;
  /** Whether the client has cancelled or disconnected, without making the signal. */
  readonly aborted: boolean;
  /**
   * Calls `fn` once if the client cancels or disconnects later (not after the reply), without making the signal;
   * returns the function that unsubscribes it.
   */
  onCancel(fn: () => void): () => void;
}

/** The limits the frontend applies (engine/limits.ts), and where it counts what came near them. */
export interface FrontendLimits extends EngineLimits {
  counters: LimitCounters;
}

export interface Frontend {
  readonly history: HistoryService;
  readonly matching: MatchingService;
  readonly namespaces: NamespaceRegistry;
  /** List/Count: this engine's index, or every member's in a cluster. */
  readonly visibility: VisibilityQueries;
  /** In a cluster: sends a request to the member that owns what it is about (engine/cluster). */
  readonly router?: RequestRouter;
  /** Undefined when the store keeps no schedules (the schedule RPCs then answer UNIMPLEMENTED). */
  readonly schedules?: Scheduler;
  /** Visibility the store keeps and answers (PostgreSQL); List/Count read it instead of the in-memory index. */
  readonly durableVisibility: VisibilityBackend | undefined;
  readonly clock: Clock;
  readonly limits: FrontendLimits;
  readonly serverVersion: string;
}

/**
 * Runs a request where it belongs: `local` here when this engine owns its workflow's shard (or its task queue, or the
 * schedules), else the owner's answer. `forwarded` requests came from another member and are never sent on.
 */
export interface RequestRouter {
  dispatch(
    service: string,
    method: string,
    request: object,
    call: CallContext,
    forwarded: boolean,
    local: () => Promise<object>,
  ): Promise<object>;
}

/** Requests arrive decoded (int64 as Long); responses may use plain numbers for int64 (see `Wire`). */
export type Handler<Req, Res> = (fe: Frontend, req: Req, call: CallContext) => Promise<Wire<Res>>;
