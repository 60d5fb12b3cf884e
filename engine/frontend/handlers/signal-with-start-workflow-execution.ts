import { InvalidArgumentError } from '../../errors.js';
import { enums, type temporal } from '../../proto.js';
import { startWorkflow } from '../../history/api/start-workflow.js';
import type { Handler } from '../handler.js';
import { checkId, checkPayloads } from '../validate.js';
import { startParams } from './start-workflow-execution.js';

export const signalWithStartWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionResponse
> = async (fe, req) => {
  const signalName = checkId(req.signalName, 'SignalName');
  if (req.workflowIdConflictPolicy === enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL)
    throw new InvalidArgumentError(
      'Invalid WorkflowIDConflictPolicy: WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported for this operation.',
    );
  checkPayloads(req.signalInput, fe.limits);
  // The header is the start's and the signal's: startParams holds it to the blob limit.
  const params = await startParams(fe, req, 'temporal.api.workflowservice.v1.SignalWithStartWorkflowExecutionRequest');
  const result = await startWorkflow(fe.history, {
    ...params,
    signal: { name: signalName, input: req.signalInput, header: req.header },
  });
  return { runId: result.runId, started: result.started };
};
