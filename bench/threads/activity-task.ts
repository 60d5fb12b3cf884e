/**
 * A synthetic worker's activity execution: runs the scenario's handler for an activity task (from a poll, or
 * handed back eagerly in a workflow task's completion) and reports the outcome.
 */
import type { temporal } from '@temporalio/proto';
import { fromPayloads, toPayloads } from '../../scenarios/sdk/payloads.js';
import { hashString } from '../../scenarios/sdk/random.js';
import type { OptionSpecs, OptionValues } from '../../scenarios/sdk/option-specs.js';
import type { AnyScenario } from '../../scenarios/sdk/scenario.js';
import { nowUs } from '../recorder/wall-clock.js';
import { errorType, seededRandom, type ThreadRuntime } from './runtime.js';
import { COUNTER, OP } from '../../result/catalogue.js';

export type ActivityTask = temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;

export const CALL_TIMEOUT_MS = 30_000;

export async function runActivity(
  rt: ThreadRuntime,
  scenario: AnyScenario,
  o: OptionValues<OptionSpecs>,
  task: ActivityTask,
): Promise<void> {
  const { init, client, recorder } = rt;
  const type = task.activityType?.name ?? '';
  const handler = scenario.activities[type];
  let result: unknown;
  let failure: string | undefined;
  try {
    if (!handler) throw new Error(`scenario ${scenario.name} has no activity ${type}`);
    result = await handler(
      fromPayloads(task.input),
      {
        attempt: task.attempt,
        workflowId: task.workflowExecution?.workflowId ?? '',
        activityId: task.activityId,
        random: seededRandom(hashString(`${task.workflowExecution?.workflowId}/${task.activityId}/${task.attempt}`)),
      },
      o,
    );
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  const sent = nowUs();
  try {
    if (failure === undefined) {
      await client.call(
        'RespondActivityTaskCompleted',
        { taskToken: task.taskToken, namespace: init.namespace, identity: init.identity, result: toPayloads(result) },
        { timeoutMs: CALL_TIMEOUT_MS, routeKey: task.workflowExecution?.workflowId ?? undefined },
      );
      recorder.count(COUNTER.activitiesCompleted);
    } else {
      await client.call(
        'RespondActivityTaskFailed',
        {
          taskToken: task.taskToken,
          namespace: init.namespace,
          identity: init.identity,
          failure: {
            message: failure,
            source: 'stampede',
            applicationFailureInfo: { type: 'ScenarioActivityFailure' },
          },
        },
        { timeoutMs: CALL_TIMEOUT_MS, routeKey: task.workflowExecution?.workflowId ?? undefined },
      );
      recorder.count(COUNTER.activitiesFailed);
    }
    recorder.recordService(OP.respondActivityTask, nowUs() - sent);
  } catch (err) {
    recorder.error(OP.respondActivityTask, errorType(err));
  }
}

/**
 * Activity slots for eager execution: a workflow task asks for an activity to be handed back only when a slot
 * is free (as the SDKs reserve one per eager request), at most `perTask` per workflow task.
 */
export class EagerActivitySlots {
  private inUse = 0;

  constructor(
    private readonly capacity: number,
    readonly perTask = 3,
  ) {}

  /** Reserves up to `wanted` slots (capped per task); returns how many it got. */
  reserve(wanted: number): number {
    const n = Math.max(0, Math.min(wanted, this.perTask, this.capacity - this.inUse));
    this.inUse += n;
    return n;
  }

  release(n: number): void {
    this.inUse = Math.max(0, this.inUse - n);
  }
}
