/**
 * The update side of RespondWorkflowTaskCompleted: the messages a worker returns (acceptances, rejections,
 * responses), referenced in command order by PROTOCOL_MESSAGE commands, the rest after the commands. Checked in
 * full before anything is written (a bad message fails the task with BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE);
 * applied as UpdateAccepted / UpdateCompleted events, with the registry following once the write commits.
 */
import { enums, type ICommand } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import type { MutableState } from '../mutable-state.js';
import { cacheKeyOf } from '../transaction.js';
import { findUpdate } from './lookup.js';
import { carriedRequest, decodeWorkerMessage, type ProtocolMessage, type WorkerMessage } from './protocol.js';
import { PendingUpdate, UNPROCESSED_UPDATE_FAILURE, type UpdateState } from './registry.js';

const E = enums.EventType;

export const BAD_UPDATE_MESSAGE_CAUSE =
  enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE;

interface Checked {
  message: ProtocolMessage;
  decoded: WorkerMessage;
  update: PendingUpdate;
}

/** The worker's messages of one completion, checked and ready to apply. */
export class UpdateMessages {
  private readonly byId = new Map<string, Checked>();
  private readonly order: string[] = [];
  private readonly applied = new Set<string>();

  private constructor(private readonly ctx: HistoryContext) {}

  /**
   * Checks every message and every PROTOCOL_MESSAGE command, simulating the state changes in the order they will
   * be applied. Returns the messages, or the problem that fails the task.
   */
  static check(
    ctx: HistoryContext,
    ms: MutableState,
    messages: readonly ProtocolMessage[],
    commands: readonly ICommand[],
  ): UpdateMessages | string {
    const out = new UpdateMessages(ctx);
    for (const m of messages) {
      const decoded = decodeWorkerMessage(m);
      if (typeof decoded === 'string') return decoded;
      const id = m.protocolInstanceId ?? '';
      const found = findUpdate(ctx, ms, id);
      let update = found?.kind === 'pending' ? found.update : undefined;
      const request = carriedRequest(decoded);
      if (!update && !found && request) {
        // Sent before this engine lost its in-flight updates (a restart): the message brings the request back.
        update = new PendingUpdate(id, ms.key, request);
        ctx.updates.add(update);
      }
      if (!update) {
        return `update ${id} wasn't found on the server. This is most likely a transient error which will be resolved automatically by retries`;
      }
      out.byId.set(m.id ?? '', { message: m, decoded, update });
      out.order.push(m.id ?? '');
    }
    const referenced: string[] = [];
    for (const c of commands) {
      if (c.commandType !== enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) continue;
      const messageId = c.protocolMessageCommandAttributes?.messageId ?? '';
      if (!messageId) return 'MessageID is not set on ProtocolMessageCommand.';
      if (!out.byId.has(messageId) || referenced.includes(messageId))
        return `ProtocolMessageCommand referenced absent message ID ${messageId}`;
      referenced.push(messageId);
    }
    const states = new Map<string, UpdateState | 'done'>();
    for (const messageId of [...referenced, ...out.order.filter((id) => !referenced.includes(id))]) {
      const c = out.byId.get(messageId) as Checked;
      const state = states.get(c.update.id) ?? c.update.state;
      const next = transition(state, c.decoded);
      if (next === undefined) {
        return `invalid state transition attempted for Update ${c.update.id}: received *update.${kindName(c.decoded)} message while in state ${state}`;
      }
      if (c.decoded.kind === 'response' && c.decoded.body.meta?.updateId !== c.update.id)
        return `invalid *update.Response: meta.update_id does not match the update ${c.update.id}`;
      if (c.decoded.kind === 'response' && !c.decoded.body.outcome)
        return 'invalid *update.Response: outcome is not set';
      states.set(c.update.id, next);
    }
    return out;
  }

  /** Applies the message a PROTOCOL_MESSAGE command refers to (its events go where the command is). */
  applyCommand(ms: MutableState, command: ICommand, batchFirstEventId: number): void {
    this.apply(ms, command.protocolMessageCommandAttributes?.messageId ?? '', batchFirstEventId);
  }

  /**
   * After the commands: the messages no command referred to (rejections, normally), then the server's rejection of
   * every update the worker was sent on this task and did not answer — unless the run closed, or the completion
   * only asked for a new task (a heartbeat, which does not process updates).
   */
  finish(ms: MutableState, batchFirstEventId: number, heartbeat: boolean): void {
    for (const id of this.order) this.apply(ms, id, batchFirstEventId);
    if (heartbeat || !ms.isRunning()) return;
    const answered = new Set([...this.byId.values()].map((c) => c.update.id));
    for (const u of this.ctx.updates.inFlight(cacheKeyOf(ms.key))) {
      if (u.state === 'sent' && !answered.has(u.id)) {
        ms.onCommit(() =>
          this.ctx.updates.complete(u, { failure: UNPROCESSED_UPDATE_FAILURE }, UNPROCESSED_UPDATE_FAILURE),
        );
      }
    }
  }

  private apply(ms: MutableState, messageId: string, batchFirstEventId: number): void {
    const c = this.byId.get(messageId);
    if (!c || this.applied.has(messageId)) return;
    this.applied.add(messageId);
    // A run closed earlier in this completion takes no more events: its updates are aborted once it commits.
    if (!ms.isRunning()) return;
    const { update: u, decoded } = c;
    const registry = this.ctx.updates;
    switch (decoded.kind) {
      case 'acceptance': {
        const request = u.request ?? decoded.body.acceptedRequest;
        const event = ms.addEvent(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
          workflowExecutionUpdateAcceptedEventAttributes: {
            protocolInstanceId: u.id,
            acceptedRequestMessageId: `${u.id}/request`,
            acceptedRequestSequencingEventId: decoded.body.acceptedRequestSequencingEventId ?? 0,
            ...(request ? { acceptedRequest: request } : {}),
          },
        });
        const eventId = Number(event.eventId);
        ms.info.updateInfos = {
          ...ms.info.updateInfos,
          [u.id]: { acceptedEventId: eventId, completedEventId: 0, completedBatchId: 0 },
        };
        ms.onCommit(() => registry.accept(u, eventId));
        return;
      }
      case 'response': {
        const recorded = ms.info.updateInfos?.[u.id];
        const acceptedEventId = recorded?.acceptedEventId ?? u.acceptedEventId;
        const outcome = decoded.body.outcome ?? {};
        const event = ms.addEvent(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
          workflowExecutionUpdateCompletedEventAttributes: {
            meta: decoded.body.meta ?? { updateId: u.id },
            acceptedEventId,
            outcome,
          },
        });
        ms.info.updateInfos = {
          ...ms.info.updateInfos,
          [u.id]: { acceptedEventId, completedEventId: Number(event.eventId), completedBatchId: batchFirstEventId },
        };
        ms.onCommit(() => registry.complete(u, outcome));
        return;
      }
      case 'rejection': {
        const failure = decoded.body.failure ?? { message: 'update rejected' };
        // Rejections leave no trace: no event, nothing in the run's records.
        ms.onCommit(() => registry.complete(u, { failure }, failure));
        return;
      }
    }
  }
}

function transition(state: UpdateState | 'done', m: WorkerMessage): UpdateState | 'done' | undefined {
  switch (m.kind) {
    case 'acceptance':
      return state === 'admitted' || state === 'sent' ? 'accepted' : undefined;
    case 'rejection':
      return state === 'admitted' || state === 'sent' ? 'done' : undefined;
    case 'response':
      return state === 'accepted' ? 'done' : undefined;
  }
}

function kindName(m: WorkerMessage): string {
  return m.kind === 'acceptance' ? 'Acceptance' : m.kind === 'rejection' ? 'Rejection' : 'Response';
}
