/** Errors inside matching. */
import { EngineError } from '../errors.js';

/**
 * The task queue was dropped from memory (MatchingService.reset, after a store outage) while a call still held it.
 * Matching retries the call on the queue it holds now; it never reaches a client.
 */
export class TaskQueueDroppedError extends EngineError {
  constructor(queue: string) {
    super('UNAVAILABLE', `task queue ${queue} was reloaded from the store; retry on the reloaded queue`);
    this.name = 'TaskQueueDroppedError';
  }
}
