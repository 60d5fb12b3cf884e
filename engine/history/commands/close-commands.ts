import { enums } from '../../proto.js';
import { cancelWorkflow, completeWorkflow, continueAsNew, failWorkflow } from '../state/close.js';
import type { CommandHandler } from './types.js';

const Cause = enums.WorkflowTaskFailedCause;

export const completeWorkflowExecution: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
  closes: true,
  validate: () => undefined,
  apply(c, ms, env) {
    completeWorkflow(
      ms,
      c.completeWorkflowExecutionCommandAttributes?.result,
      env.workflowTaskCompletedEventId,
      env.startEvent,
    );
  },
};

export const failWorkflowExecution: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
  closes: true,
  validate: (c) =>
    c.failWorkflowExecutionCommandAttributes?.failure
      ? undefined
      : 'Failure is not set on FailWorkflowExecutionCommand.',
  apply(c, ms, env) {
    failWorkflow(
      ms,
      c.failWorkflowExecutionCommandAttributes?.failure,
      env.workflowTaskCompletedEventId,
      env.startEvent,
    );
  },
};

export const cancelWorkflowExecution: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES,
  closes: true,
  validate: () => undefined,
  apply(c, ms, env) {
    cancelWorkflow(ms, c.cancelWorkflowExecutionCommandAttributes?.details, env.workflowTaskCompletedEventId);
  },
};

export const continueAsNewWorkflowExecution: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
  closes: true,
  validate(c, ms) {
    const a = c.continueAsNewWorkflowExecutionCommandAttributes;
    if (!a) return 'ContinueAsNewWorkflowExecutionCommandAttributes is not set.';
    if (!a.workflowType?.name && !ms.info.workflowType)
      return 'WorkflowType is not set on ContinueAsNewWorkflowExecutionCommand.';
    return undefined;
  },
  apply(c, ms, env) {
    continueAsNew(ms, c.continueAsNewWorkflowExecutionCommandAttributes ?? {}, env.workflowTaskCompletedEventId);
  },
};
