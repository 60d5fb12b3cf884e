/** The engine read back for scenario checks (VerifyContext), over the WorkflowService API. */
import type { WorkflowCaller } from '../client/workflow-service.js';
import { fromPayloads, toPayloads } from '../../scenarios/sdk/payloads.js';
import type { DeciderTask } from '../../scenarios/sdk/decider-task.js';
import type { FinishContext, VerifyContext } from '../../scenarios/sdk/scenario.js';
import { randomUUID } from 'node:crypto';

type Events = DeciderTask['events'];

export async function listRuns(
  client: WorkflowCaller,
  namespace: string,
  prefix: string,
  limit: number,
): Promise<{ workflowId: string; runId: string; status: number }[]> {
  const out: { workflowId: string; runId: string; status: number }[] = [];
  let token: Uint8Array | undefined;
  do {
    const page = await client.call(
      'ListWorkflowExecutions',
      {
        namespace,
        query: `WorkflowId STARTS_WITH "${prefix}"`,
        pageSize: 1000,
        ...(token ? { nextPageToken: token } : {}),
      },
      { timeoutMs: 30_000 },
    );
    for (const e of page.executions)
      out.push({ workflowId: e.execution?.workflowId ?? '', runId: e.execution?.runId ?? '', status: e.status ?? 0 });
    token = page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (token && out.length < limit);
  return out.slice(0, limit);
}

export async function fullHistory(
  client: WorkflowCaller,
  namespace: string,
  workflowId: string,
  runId = '',
): Promise<Events> {
  const events: Events[number][] = [];
  let token: Uint8Array | undefined;
  do {
    const page = await client.call(
      'GetWorkflowExecutionHistory',
      { namespace, execution: { workflowId, runId }, ...(token ? { nextPageToken: token } : {}) },
      { timeoutMs: 30_000 },
    );
    events.push(...(page.history?.events ?? []));
    token = page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (token);
  return events;
}

export function verifyContext(
  client: WorkflowCaller,
  namespace: string,
  prefix: string,
  expected: ReadonlyMap<string, Readonly<Record<string, number>>>,
  sampleSize: number,
): VerifyContext {
  return {
    expected,
    sampleSize,
    async workflowIds() {
      return [
        ...new Set((await listRuns(client, namespace, prefix, Number.MAX_SAFE_INTEGER)).map((r) => r.workflowId)),
      ];
    },
    async query(workflowId, queryType, args) {
      const r = await client.call(
        'QueryWorkflow',
        {
          namespace,
          execution: { workflowId },
          query: { queryType, ...(args === undefined ? {} : { queryArgs: toPayloads(args) }) },
        },
        { timeoutMs: 30_000 },
      );
      return fromPayloads(r.queryResult);
    },
    async result(workflowId) {
      const events = await fullHistory(client, namespace, workflowId);
      const last = events[events.length - 1];
      return fromPayloads(last?.workflowExecutionCompletedEventAttributes?.result);
    },
    history: (workflowId) => fullHistory(client, namespace, workflowId),
  };
}

/** The end-of-run step's view: signals over the harness's own client (not measured as load). */
export function finishContext(
  client: WorkflowCaller,
  namespace: string,
  expected: ReadonlyMap<string, Readonly<Record<string, number>>>,
  problems: string[],
): FinishContext {
  return {
    expected,
    async signalWorkflow(p) {
      await client
        .call(
          'SignalWorkflowExecution',
          {
            namespace,
            workflowExecution: { workflowId: p.workflowId, runId: p.runId ?? '' },
            signalName: p.name,
            input: toPayloads(p.input),
            identity: 'stampede-finish',
            requestId: randomUUID(),
          },
          { timeoutMs: 30_000 },
        )
        .catch((err: unknown) => {
          problems.push(
            `signal ${p.name} to ${p.workflowId} failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        });
    },
  };
}
