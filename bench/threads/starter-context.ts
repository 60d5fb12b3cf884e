/**
 * The StarterContext a scenario's iteration receives: every call is a measured operation. The first call of
 * an iteration is measured from the iteration's intended start (open model), later calls from their own send.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { temporal } from '@temporalio/proto';
import proto from '@temporalio/proto';
import type { StarterContext, UpdateOutcome, UpdateParams } from '../../scenarios/sdk/scenario.js';
import { fromPayloads, toPayload, toPayloads } from '../../scenarios/sdk/payloads.js';
import { nowUs } from '../recorder/wall-clock.js';
import { grpc, isServiceError } from '../client/workflow-service.js';
import { tsUs } from './proto-time.js';
import { errorType, isBatchTooLarge, type ThreadRuntime } from './runtime.js';
import { workflowIdPrefix } from '../coordinator/protocol.js';
import { COUNTER, ERROR_SOURCE, METRIC, OP } from '../../result/catalogue.js';

export const INTENDED_START_HEADER = 'stampede-intended-start-us';
/** The generator process that started the workflow (ThreadInit.origin): its end-to-end latency is measured there only. */
export const ORIGIN_HEADER = 'stampede-origin';

/**
 * A starter's worker for eagerly started workflows. A start asks for its first task only when the worker has a
 * free slot (as the SDKs do), so that a busy thread sends work to the pollers instead of queueing it; `take` runs
 * the task handed back and frees the slot, `release` frees it when none came back.
 */
export interface EagerWorker {
  reserve(): boolean;
  take(task: temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse): void;
  release(): void;
}
const CALL_TIMEOUT_MS = 30_000;
/** A start the engine answered UNAVAILABLE is sent again with its request id, as the SDKs do; bounded by these. */
const START_ATTEMPTS = 6;
const START_RETRY_FIRST_MS = 100;
const START_RETRY_MAX_MS = 2_000;
/** Failures after which the start may or may not have been stored: a later read-back may find it. */
const UNKNOWN_OUTCOME = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.UNKNOWN]);

/**
 * Sends a start (or signal-with-start) until it is answered, retrying UNAVAILABLE with the same request id so that
 * the engine deduplicates a start that did land (Temporal's clients do the same). A failure that leaves the outcome
 * unknown is counted, so that verification can tell a start that landed unacknowledged from a foreign workflow.
 */
async function startCall<T>(rt: ThreadRuntime, send: (requestId: string) => Promise<T>): Promise<T> {
  const requestId = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(requestId);
    } catch (err) {
      const code = isServiceError(err) ? err.code : undefined;
      // A batch refused for its size was not written, and the same start would be refused again.
      if (isBatchTooLarge(err)) throw err;
      if (code === grpc.status.UNAVAILABLE && attempt < START_ATTEMPTS) {
        rt.recorder.count(COUNTER.startRetries);
        await sleep(Math.min(START_RETRY_MAX_MS, START_RETRY_FIRST_MS * 2 ** (attempt - 1)));
        continue;
      }
      if (code !== undefined && UNKNOWN_OUTCOME.has(code)) rt.recorder.count(COUNTER.startsUnknownOutcome);
      throw err;
    }
  }
}

export function starterContext(
  rt: ThreadRuntime,
  k: number,
  intendedUs: number | undefined,
  random: () => number,
  worker?: EagerWorker,
): StarterContext {
  const { init, client, recorder } = rt;
  const prefix = workflowIdPrefix(init.runTag, init.segmentIndex, init.segmentCount);
  let intended = intendedUs;
  const measure = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    const sent = nowUs();
    const planned = intended ?? sent;
    intended = undefined;
    try {
      const result = await fn();
      recorder.recordScheduled(op, planned, sent, nowUs());
      return result;
    } catch (err) {
      recorder.error(op, errorType(err));
      throw err;
    }
  };
  const header = () => ({
    fields: { [INTENDED_START_HEADER]: toPayload(intendedUs ?? nowUs()), [ORIGIN_HEADER]: toPayload(init.origin) },
  });
  return {
    iteration: k,
    workflowId: (suffix) => `${prefix}${suffix}`,
    taskQueue: init.taskQueue,
    timeScale: init.timeScale,
    random,
    startWorkflow: (p) =>
      measure(OP.startWorkflow, async () => {
        // Eager start: this thread's worker takes the first task from the reply, on the run's own queue only.
        // A cron start's first task waits for its first firing: nothing to hand back eagerly.
        const eager =
          worker !== undefined &&
          !p.cronSchedule &&
          (p.taskQueue ?? init.taskQueue) === init.taskQueue &&
          worker.reserve();
        let r;
        const sent = nowUs();
        try {
          r = await startCall(rt, (requestId) =>
            client.call(
              'StartWorkflowExecution',
              {
                namespace: init.namespace,
                workflowId: p.workflowId,
                workflowType: { name: p.workflowType },
                taskQueue: { name: p.taskQueue ?? init.taskQueue },
                input: toPayloads(p.input),
                requestId,
                identity: init.identity,
                header: header(),
                ...(p.runTimeoutMs ? { workflowRunTimeout: { seconds: Math.ceil(p.runTimeoutMs / 1000) } } : {}),
                ...(p.cronSchedule ? { cronSchedule: p.cronSchedule } : {}),
                ...(eager ? { requestEagerExecution: true } : {}),
              },
              { timeoutMs: CALL_TIMEOUT_MS },
            ),
          );
        } catch (err) {
          if (eager) worker.release();
          throw err;
        }
        recorder.count(COUNTER.workflowsStarted);
        if (p.extraRuns) recorder.count(COUNTER.extraRunsExpected, p.extraRuns);
        // A decoded sub-message is a full message object, as a poll's reply is.
        const eagerTask = r.eagerWorkflowTask as temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse | null;
        if (eagerTask?.startedTime) rt.observeEngineClock(sent, nowUs(), tsUs(eagerTask.startedTime));
        if (eager) {
          if (eagerTask && eagerTask.taskToken.length > 0) worker.take(eagerTask);
          else worker.release();
        }
        return { runId: r.runId };
      }),
    signalWithStart: (p) =>
      measure(OP.signalWithStart, async () => {
        const r = await startCall(rt, (requestId) =>
          client.call(
            'SignalWithStartWorkflowExecution',
            {
              namespace: init.namespace,
              workflowId: p.workflowId,
              workflowType: { name: p.workflowType },
              taskQueue: { name: p.taskQueue ?? init.taskQueue },
              input: toPayloads(p.input),
              signalName: p.signal,
              signalInput: toPayloads(p.signalInput),
              requestId,
              identity: init.identity,
              header: header(),
            },
            { timeoutMs: CALL_TIMEOUT_MS },
          ),
        );
        if (r.started) recorder.count(COUNTER.workflowsStarted);
        recorder.count(COUNTER.signalsSent);
        return { runId: r.runId };
      }),
    signalWorkflow: (p) =>
      measure(OP.signalWorkflow, async () => {
        await client.call(
          'SignalWorkflowExecution',
          {
            namespace: init.namespace,
            workflowExecution: { workflowId: p.workflowId, runId: p.runId ?? '' },
            signalName: p.name,
            input: toPayloads(p.input),
            identity: init.identity,
            requestId: randomUUID(),
            header: { fields: { [INTENDED_START_HEADER]: toPayload(nowUs()) } },
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
        recorder.count(COUNTER.signalsSent);
      }),
    queryWorkflow: (p) =>
      measure(OP.queryWorkflow, async () => {
        const r = await client.call(
          'QueryWorkflow',
          {
            namespace: init.namespace,
            execution: { workflowId: p.workflowId, runId: p.runId ?? '' },
            query: { queryType: p.queryType, queryArgs: toPayloads(p.args) },
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
        return fromPayloads(r.queryResult);
      }),
    cancelWorkflow: (p) =>
      measure(OP.cancelWorkflow, async () => {
        await client.call(
          'RequestCancelWorkflowExecution',
          {
            namespace: init.namespace,
            workflowExecution: { workflowId: p.workflowId, runId: p.runId ?? '' },
            identity: init.identity,
            requestId: randomUUID(),
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
      }),
    updateWorkflow: (p) => updateWorkflow(rt, measure, p),
    count: (name, n = 1) => recorder.count(name, n),
    record: (metric, us) => recorder.recordMetric(metric, us),
    later: (delayMs, fn) =>
      rt.later(delayMs, () =>
        fn().catch((err: unknown) => {
          recorder.count(COUNTER.followUpsFailed);
          recorder.error(ERROR_SOURCE.followUp, errorType(err));
        }),
      ),
    expect: (workflowId, name, amount) => rt.expect(workflowId, name, amount),
  };
}

const Stage = proto.temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
const ACCEPTED = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
const COMPLETED = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
/** How long one update may take in all (its calls long-poll and are sent again until a stage is reached). */
const UPDATE_BUDGET_MS = 60_000;
const USE_EXISTING = proto.temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;

const THROTTLE_FIRST_MS = 50;
const THROTTLE_MAX_MS = 1_000;

/**
 * Sends a call again while the engine answers RESOURCE_EXHAUSTED (the run's in-flight update limit, or a run closing
 * under the update), with backoff, as Temporal's clients retry it; bounded by the update's budget.
 */
async function throttled<T>(rt: ThreadRuntime, send: () => Promise<T>): Promise<T> {
  const until = Date.now() + UPDATE_BUDGET_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!(isServiceError(err) && err.code === grpc.status.RESOURCE_EXHAUSTED) || Date.now() > until) throw err;
      rt.recorder.count(COUNTER.updatesRetried);
      await sleep(Math.min(THROTTLE_MAX_MS, THROTTLE_FIRST_MS * 2 ** attempt));
    }
  }
}

type Measure = <T>(op: string, fn: () => Promise<T>) => Promise<T>;
type Outcome = proto.temporal.api.update.v1.IOutcome | null | undefined;

function outcomeOf(o: Outcome, accepted: boolean): UpdateOutcome {
  if (o?.failure) {
    const failure = o.failure.message ?? 'update failed';
    return accepted ? { accepted: true, failure } : { accepted: false, failure };
  }
  return { accepted: true, result: fromPayloads(o?.success) };
}

/**
 * An update as Temporal's clients send one: UpdateWorkflowExecution waiting for ACCEPTED (sent again with the same
 * update id while the engine answers with an earlier stage), then PollWorkflowExecutionUpdate waiting for COMPLETED.
 */
async function updateWorkflow(rt: ThreadRuntime, measure: Measure, p: UpdateParams): Promise<UpdateOutcome> {
  const { init, client, recorder } = rt;
  const sent = nowUs();
  const deadline = Date.now() + UPDATE_BUDGET_MS;
  const updateId = p.updateId ?? randomUUID();
  const execution = { workflowId: p.workflowId, runId: p.runId ?? '' };
  const first = await measure(OP.updateWorkflow, async () => {
    const request = {
      meta: { updateId, identity: init.identity },
      input: {
        name: p.name,
        args: toPayloads(p.input),
        header: { fields: { [INTENDED_START_HEADER]: toPayload(sent) } },
      },
    };
    if (p.start) {
      const start = p.start;
      const r = await throttled(rt, () =>
        startCall(rt, (requestId) =>
          client.call(
            'ExecuteMultiOperation',
            {
              namespace: init.namespace,
              operations: [
                {
                  startWorkflow: {
                    namespace: init.namespace,
                    workflowId: p.workflowId,
                    workflowType: { name: start.workflowType },
                    taskQueue: { name: init.taskQueue },
                    input: toPayloads(start.input),
                    requestId,
                    identity: init.identity,
                    header: { fields: { [INTENDED_START_HEADER]: toPayload(sent) } },
                    workflowIdConflictPolicy: USE_EXISTING,
                  },
                },
                {
                  updateWorkflow: {
                    namespace: init.namespace,
                    workflowExecution: { workflowId: p.workflowId },
                    waitPolicy: { lifecycleStage: ACCEPTED },
                    request,
                  },
                },
              ],
            },
            { timeoutMs: CALL_TIMEOUT_MS },
          ),
        ),
      );
      if (r.responses[0]?.startWorkflow?.started) recorder.count(COUNTER.workflowsStarted);
      const u = r.responses[1]?.updateWorkflow;
      if (u && (u.stage ?? 0) >= ACCEPTED)
        return { stage: u.stage ?? 0, outcome: u.outcome, runId: u.updateRef?.workflowExecution?.runId ?? '' };
    }
    for (;;) {
      const r = await throttled(rt, () =>
        client.call(
          'UpdateWorkflowExecution',
          {
            namespace: init.namespace,
            workflowExecution: execution,
            waitPolicy: { lifecycleStage: ACCEPTED },
            request,
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        ),
      );
      if (r.stage >= ACCEPTED || Date.now() > deadline)
        return { stage: r.stage, outcome: r.outcome, runId: r.updateRef?.workflowExecution?.runId ?? '' };
    }
  });
  if (first.stage < ACCEPTED) throw new Error(`update ${updateId} was not accepted within ${UPDATE_BUDGET_MS} ms`);
  // A failure at the first answer without an acceptance in between: the validator rejected it.
  if (first.stage === COMPLETED && first.outcome?.failure) {
    recorder.count(COUNTER.updatesRejected);
    return outcomeOf(first.outcome, false);
  }
  recorder.count(COUNTER.updatesAccepted);
  recorder.recordMetric(METRIC.updateToAccepted, nowUs() - sent);
  let outcome = first.outcome;
  if (first.stage !== COMPLETED) {
    outcome = await measure(OP.pollUpdate, async () => {
      for (;;) {
        const r = await client.call(
          'PollWorkflowExecutionUpdate',
          {
            namespace: init.namespace,
            // The run that accepted it: after a continue-as-new the current run does not know the update.
            updateRef: { workflowExecution: { workflowId: p.workflowId, runId: first.runId }, updateId },
            identity: init.identity,
            waitPolicy: { lifecycleStage: COMPLETED },
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
        if (r.stage === COMPLETED) return r.outcome;
        if (Date.now() > deadline) throw new Error(`update ${updateId} did not complete within ${UPDATE_BUDGET_MS} ms`);
      }
    });
  }
  recorder.count(COUNTER.updatesCompleted);
  recorder.recordMetric(METRIC.updateToCompleted, nowUs() - sent);
  return outcomeOf(outcome, true);
}
