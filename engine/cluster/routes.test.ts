import { describe, expect, it } from 'vitest';
import { encodeTaskToken } from '../history/task-token.js';
import { routeOf } from './routes.js';

describe('routeOf', () => {
  it('routes a workflow’s requests by its id wherever the message keeps it', () => {
    expect(routeOf('StartWorkflowExecution', { namespace: 'default', workflowId: 'w1' })).toEqual({
      kind: 'workflow',
      namespace: 'default',
      workflowId: 'w1',
    });
    expect(
      routeOf('SignalWorkflowExecution', { namespace: 'ns', workflowExecution: { workflowId: 'w2' } }),
    ).toMatchObject({
      workflowId: 'w2',
    });
    expect(routeOf('DescribeWorkflowExecution', { namespace: 'ns', execution: { workflowId: 'w3' } })).toMatchObject({
      workflowId: 'w3',
    });
    expect(
      routeOf('PollWorkflowExecutionUpdate', {
        namespace: 'ns',
        updateRef: { workflowExecution: { workflowId: 'w4' } },
      }),
    ).toMatchObject({ workflowId: 'w4' });
    expect(
      routeOf('ExecuteMultiOperation', { namespace: 'ns', operations: [{ startWorkflow: { workflowId: 'w5' } }] }),
    ).toMatchObject({ workflowId: 'w5' });
  });

  it('routes a task token’s call to its run’s shard, with the namespace id the token carries', () => {
    const taskToken = encodeTaskToken({ k: 'a', ns: 'ns-id', wid: 'w6', rid: 'r', sid: 5, a: 1, aid: '1' });
    expect(routeOf('RespondActivityTaskCompleted', { namespace: 'default', taskToken })).toEqual({
      kind: 'workflow',
      namespace: 'default',
      namespaceId: 'ns-id',
      workflowId: 'w6',
    });
  });

  it('routes a task token’s call even when the request leaves its namespace out', () => {
    const taskToken = encodeTaskToken({ k: 'w', ns: 'ns-id', wid: 'w7', rid: 'r', sid: 2, tid: 3, a: 1 });
    expect(routeOf('RespondWorkflowTaskCompleted', { taskToken })).toMatchObject({
      namespaceId: 'ns-id',
      workflowId: 'w7',
    });
  });

  it('routes polls to their queue’s owner, by queue type', () => {
    expect(routeOf('PollActivityTaskQueue', { namespace: 'ns', taskQueue: { name: 'q' } })).toEqual({
      kind: 'queue',
      namespace: 'ns',
      name: 'q',
      type: 'activity',
    });
    expect(routeOf('PollWorkflowTaskQueue', { namespace: 'ns', taskQueue: { name: 'q' } })).toMatchObject({
      type: 'workflow',
    });
    expect(routeOf('DescribeTaskQueue', { namespace: 'ns', taskQueue: { name: 'q' }, taskQueueType: 2 })).toMatchObject(
      {
        type: 'activity',
      },
    );
    expect(routeOf('ShutdownWorker', { namespace: 'ns', stickyTaskQueue: 'sticky-1' })).toMatchObject({
      name: 'sticky-1',
    });
  });

  it('answers the rest where it arrives, and leaves malformed requests to the handler', () => {
    expect(routeOf('ListWorkflowExecutions', { namespace: 'ns' })).toBeUndefined();
    expect(routeOf('DescribeNamespace', { namespace: 'ns' })).toBeUndefined();
    expect(routeOf('StartWorkflowExecution', { namespace: 'ns' })).toBeUndefined();
    expect(
      routeOf('RespondWorkflowTaskCompleted', { namespace: 'ns', taskToken: Buffer.from('not json') }),
    ).toBeUndefined();
    expect(routeOf('CreateSchedule', { namespace: 'ns', scheduleId: 's' })).toEqual({ kind: 'schedules' });
  });
});
