import { NotFoundError } from '../errors.js';

/** The task a worker or matching refers to no longer exists in that form (completed, timed out, replaced). */
export class StaleTaskError extends NotFoundError {
  constructor(message: string) {
    super(message);
    this.name = 'StaleTaskError';
  }
}

/** The run is closed: nothing more may be appended. */
export class WorkflowCompletedError extends NotFoundError {
  constructor() {
    super('workflow execution already completed');
    this.name = 'WorkflowCompletedError';
  }
}
