/**
 * Workflow updates in flight, per run (Temporal's update Registry). Nothing is persisted for an update until the
 * worker accepts it: an admitted or sent update lives only here, and is lost with the engine (its callers get
 * UNAVAILABLE and their clients re-send it under the same id). Accepted and completed updates are also recorded in
 * the run's `updateInfos`; completed ones leave this registry and are found there.
 *
 * State changes driven by a transaction are applied after it commits (`MutableState.onCommit`), so a failed write
 * leaves the registry as it was.
 */
import { EngineError, NotFoundError, UnavailableError } from '../../errors.js';
import type { IFailure, temporal, Wire } from '../../proto.js';
import type { WorkflowKey } from '../../persistence/records.js';

export type UpdateRequest = temporal.api.update.v1.IRequest;
export type UpdateOutcome = Wire<temporal.api.update.v1.IOutcome>;

/** Admitted: waiting for a workflow task; sent: on a task in flight; accepted: the worker runs its handler. */
export type UpdateState = 'admitted' | 'sent' | 'accepted';

/** A value settled once, awaited by any number of callers (several calls may wait on one update id). */
export class Future<T> {
  readonly promise: Promise<T>;
  settled = false;
  /** The value once resolved (a rejected future keeps undefined). */
  value: T | undefined;
  private settle!: { resolve(v: T): void; reject(e: unknown): void };

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may be waiting when it settles (a fire-and-forget caller left): not an unhandled rejection.
    this.promise.catch(() => undefined);
  }

  resolve(v: T): void {
    if (this.settled) return;
    this.settled = true;
    this.value = v;
    this.settle.resolve(v);
  }

  reject(e: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.reject(e);
  }
}

let admissionSeq = 0;

export class PendingUpdate {
  state: UpdateState = 'admitted';
  /** Admission order: requests go to the worker in it. */
  readonly seq = ++admissionSeq;
  acceptedEventId = 0;
  /** Resolves null on acceptance, or the rejection failure. */
  readonly accepted = new Future<IFailure | null>();
  readonly outcome = new Future<UpdateOutcome>();

  readonly runKey: string;

  /** `request` is absent for an accepted update recreated from the run's records (its request is in history). */
  constructor(
    readonly id: string,
    readonly key: WorkflowKey,
    readonly request: UpdateRequest | undefined,
  ) {
    this.runKey = `${key.namespaceId}/${key.workflowId}/${key.runId}`;
  }
}

/** Why an update in flight ends without an outcome from the worker (Temporal's abort reasons). */
export type AbortReason = 'registry-cleared' | 'workflow-completed' | 'workflow-continuing' | 'workflow-task-failed';

/** The outcome of an accepted update whose run closed before the update completed. */
export const ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE: IFailure = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

/** The server's rejection of an update a worker was sent and did not answer. */
export const UNPROCESSED_UPDATE_FAILURE: IFailure = {
  message:
    "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};

/** Temporal's error for a caller waiting on an update aborted before acceptance, by reason. */
function abortError(reason: AbortReason, state: UpdateState): Error {
  switch (reason) {
    case 'registry-cleared':
      return new UnavailableError('workflow update was aborted');
    case 'workflow-completed':
      return new NotFoundError('workflow update was aborted by closing workflow');
    case 'workflow-continuing':
      return new EngineError('RESOURCE_EXHAUSTED', 'workflow operation can not be applied because workflow is closing');
    case 'workflow-task-failed':
      return state === 'sent'
        ? new EngineError(
            'WORKFLOW_NOT_READY',
            'Unable to perform workflow execution update due to unexpected workflow task failure.',
          )
        : new UnavailableError('workflow update was aborted');
  }
}

export class UpdateRegistry {
  private readonly runs = new Map<string, Map<string, PendingUpdate>>();

  find(runKey: string, updateId: string): PendingUpdate | undefined {
    return this.runs.get(runKey)?.get(updateId);
  }

  add(u: PendingUpdate): void {
    let run = this.runs.get(u.runKey);
    if (!run) {
      run = new Map();
      this.runs.set(u.runKey, run);
    }
    run.set(u.id, u);
  }

  /** The run's updates in flight, in admission order. */
  inFlight(runKey: string): PendingUpdate[] {
    return [...(this.runs.get(runKey)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  count(runKey: string): number {
    return this.runs.get(runKey)?.size ?? 0;
  }

  /** The worker accepted the update (its UpdateAccepted event committed). */
  accept(u: PendingUpdate, acceptedEventId: number): void {
    u.state = 'accepted';
    u.acceptedEventId = acceptedEventId;
    u.accepted.resolve(null);
  }

  /** The update has its outcome (completed, or rejected with `rejection`): it leaves the registry. */
  complete(u: PendingUpdate, outcome: UpdateOutcome, rejection?: IFailure): void {
    this.remove(u);
    // Outcome first: a caller waiting for acceptance then sees the completed outcome (Temporal's ordering).
    u.outcome.resolve(outcome);
    u.accepted.resolve(rejection ?? null);
  }

  /** Ends the update without a worker outcome. Accepted updates are untouched by a task failure. */
  abort(u: PendingUpdate, reason: AbortReason): void {
    if (u.state === 'accepted') {
      if (reason === 'workflow-task-failed') return;
      if (reason === 'workflow-completed' || reason === 'workflow-continuing') {
        this.complete(u, { failure: ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE });
        return;
      }
    }
    this.remove(u);
    const err = abortError(reason, u.state);
    u.outcome.reject(err);
    u.accepted.reject(err);
  }

  abortRun(runKey: string, reason: AbortReason): void {
    for (const u of this.inFlight(runKey)) this.abort(u, reason);
  }

  /** Forgets the updates of runs memory no longer holds (a shard reloaded): their callers retry. */
  abortWhere(matches: (key: WorkflowKey) => boolean): void {
    for (const run of [...this.runs.values()]) {
      const first = run.values().next().value;
      if (first && matches(first.key)) this.abortRun(first.runKey, 'registry-cleared');
    }
  }

  private remove(u: PendingUpdate): void {
    const run = this.runs.get(u.runKey);
    if (run?.get(u.id) !== u) return;
    run.delete(u.id);
    if (run.size === 0) this.runs.delete(u.runKey);
  }

  get size(): number {
    let n = 0;
    for (const r of this.runs.values()) n += r.size;
    return n;
  }
}
