import type { temporal } from '../../proto.js';
import { startWorkflow } from '../../history/api/start-workflow.js';
import type { Handler } from '../handler.js';
import { checkPayloads, requireField } from '../validate.js';
import { startParams } from './start-workflow-execution.js';

export const signalWithStartWorkflowExecution: Handler<
  temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest,
  temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionResponse
> = async (fe, req) => {
  const signalName = requireField(req.signalName, 'SignalName is not set on request.');
  checkPayloads(req.signalInput, fe.limits.blobSizeLimitBytes);
  const params = await startParams(fe, req);
  const result = await startWorkflow(fe.history, {
    ...params,
    signal: { name: signalName, input: req.signalInput, header: req.header },
  });
  return { runId: result.runId, started: result.started };
};
