/** Which update requests a starting workflow task carries. */
import type { HistoryContext } from '../context.js';
import type { MutableState } from '../mutable-state.js';
import { cacheKeyOf } from '../transaction.js';
import { requestMessages, type ProtocolMessage } from './protocol.js';

/**
 * The requests of the run's admitted updates — and, unless the task is a fresh one right after a completion
 * (`includeSent` false), of those sent on an earlier attempt and never answered — in admission order. They
 * count as sent once the task's start commits.
 */
export function deliverUpdates(
  ctx: HistoryContext,
  ms: MutableState,
  startedEventId: number,
  includeSent: boolean,
): ProtocolMessage[] {
  const updates = ctx.updates
    .inFlight(cacheKeyOf(ms.key))
    .filter((u) => u.state === 'admitted' || (includeSent && u.state === 'sent'));
  if (updates.length === 0) return [];
  ms.onCommit(() => {
    for (const u of updates) if (u.state === 'admitted' || u.state === 'sent') u.state = 'sent';
  });
  return requestMessages(updates, startedEventId);
}
