import type { temporal } from '../../proto.js';
import type { Handler } from '../handler.js';

/** Capabilities advertise only what the engine implements (the SDK changes behaviour on them). */
export const getSystemInfo: Handler<
  temporal.api.workflowservice.v1.IGetSystemInfoRequest,
  temporal.api.workflowservice.v1.IGetSystemInfoResponse
> = (fe) =>
  Promise.resolve({
    serverVersion: fe.serverVersion,
    capabilities: {
      signalAndQueryHeader: true,
      internalErrorDifferentiation: false,
      activityFailureIncludeHeartbeat: true,
      // Only when the store keeps schedules (a store without a schedule store answers their RPCs UNIMPLEMENTED).
      supportsSchedules: fe.schedules !== undefined,
      encodedFailureAttributes: true,
      // The worker's build id is recorded on WorkflowTaskCompleted (workerVersion), as the SDK expects when this is
      // set; versioning rules and deployments themselves are not implemented.
      buildIdBasedVersioning: true,
      upsertMemo: true,
      eagerWorkflowStart: true,
      sdkMetadata: true,
      countGroupByExecutionStatus: true,
      nexus: false,
    },
  });
