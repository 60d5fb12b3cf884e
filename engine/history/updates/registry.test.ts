import { describe, expect, it } from 'vitest';
import { enums } from '../../proto.js';
import { ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE, PendingUpdate, UpdateRegistry } from './registry.js';
import { waitForStage } from './wait.js';

const Stage = enums.UpdateWorkflowExecutionLifecycleStage;
const key = { namespaceId: 'ns', workflowId: 'w', runId: 'r' };
const never = new AbortController().signal;

function admitted(registry: UpdateRegistry, id = 'u'): PendingUpdate {
  const u = new PendingUpdate(id, key, { meta: { updateId: id }, input: { name: 'add' } });
  registry.add(u);
  return u;
}

describe('the update registry and waiting for a stage', () => {
  it('answers ADMITTED when nothing happens before the wait runs out', async () => {
    const u = admitted(new UpdateRegistry());
    const r = await waitForStage(u, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, Date.now() + 20, never);
    expect(r).toEqual({ stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED });
  });

  it('answers ACCEPTED to a caller waiting for completion once accepted, when the wait runs out', async () => {
    const registry = new UpdateRegistry();
    const u = admitted(registry);
    registry.accept(u, 8);
    const r = await waitForStage(u, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, Date.now() + 20, never);
    expect(r.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
  });

  it('gives a caller waiting for acceptance the outcome when accepted and completed together', async () => {
    const registry = new UpdateRegistry();
    const u = admitted(registry);
    const waiting = waitForStage(u, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, Date.now() + 1000, never);
    registry.accept(u, 8);
    registry.complete(u, { success: { payloads: [] } });
    // Both in one commit: the waiter for acceptance gets the completed outcome, as Temporal's does.
    expect(await waiting).toEqual({
      stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      outcome: { success: { payloads: [] } },
    });
    expect(registry.find(u.runKey, 'u')).toBeUndefined();
  });

  it('turns a rejection into a completed outcome carrying the failure', async () => {
    const registry = new UpdateRegistry();
    const u = admitted(registry);
    const failure = { message: 'negative' };
    registry.complete(u, { failure }, failure);
    const r = await waitForStage(u, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, Date.now() + 1000, never);
    expect(r).toEqual({ stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: { failure } });
  });

  it('aborts as Temporal does when the run closes: unaccepted ones NOT_FOUND, accepted ones with a failure outcome', async () => {
    const registry = new UpdateRegistry();
    const waitingOnAdmitted = admitted(registry, 'a');
    const accepted = admitted(registry, 'b');
    registry.accept(accepted, 8);
    registry.abortRun(waitingOnAdmitted.runKey, 'workflow-completed');
    await expect(
      waitForStage(
        waitingOnAdmitted,
        Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
        Date.now() + 1000,
        never,
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'workflow update was aborted by closing workflow' });
    const r = await waitForStage(
      accepted,
      Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      Date.now() + 1000,
      never,
    );
    expect(r.outcome).toEqual({ failure: ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE });
    expect(registry.size).toBe(0);
  });

  it('leaves accepted updates alone when a workflow task fails, and fails those sent on it', async () => {
    const registry = new UpdateRegistry();
    const sent = admitted(registry, 'a');
    sent.state = 'sent';
    const accepted = admitted(registry, 'b');
    registry.accept(accepted, 8);
    registry.abortRun(sent.runKey, 'workflow-task-failed');
    await expect(sent.outcome.promise).rejects.toMatchObject({ code: 'WORKFLOW_NOT_READY' });
    expect(registry.find(accepted.runKey, 'b')).toBe(accepted);
  });

  it('stops waiting when the caller goes away', async () => {
    const u = admitted(new UpdateRegistry());
    const ac = new AbortController();
    const waiting = waitForStage(
      u,
      Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      Date.now() + 5000,
      ac.signal,
    );
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
