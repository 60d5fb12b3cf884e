/** Commands that only record: markers (local activities, patches), search attributes and memo upserts. */
import { enums } from '../../proto.js';
import { mergePayloads } from '../state/start.js';
import type { CommandHandler } from './types.js';

const Cause = enums.WorkflowTaskFailedCause;
const E = enums.EventType;

export const recordMarker: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
  closes: false,
  validate: (c) =>
    c.recordMarkerCommandAttributes?.markerName ? undefined : 'MarkerName is not set on RecordMarkerCommand.',
  apply(c, ms, env) {
    const a = c.recordMarkerCommandAttributes ?? {};
    ms.addEvent(E.EVENT_TYPE_MARKER_RECORDED, {
      markerRecordedEventAttributes: {
        markerName: a.markerName ?? '',
        details: a.details ?? {},
        workflowTaskCompletedEventId: env.workflowTaskCompletedEventId,
        ...(a.header ? { header: a.header } : {}),
        ...(a.failure ? { failure: a.failure } : {}),
      },
    });
  },
};

export const upsertWorkflowSearchAttributes: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
  closes: false,
  validate(c, _ms, seen) {
    const a = c.upsertWorkflowSearchAttributesCommandAttributes;
    if (!a)
      return 'UpsertWorkflowSearchAttributesCommandAttributes is not set on UpsertWorkflowSearchAttributesCommand.';
    if (!a.searchAttributes) return 'SearchAttributes is not set on UpsertWorkflowSearchAttributesCommand.';
    const fields = a.searchAttributes.indexedFields ?? {};
    if (Object.keys(fields).length === 0) return 'IndexedFields is not set on UpsertWorkflowSearchAttributesCommand.';
    return seen.searchAttributesProblem?.(fields);
  },
  apply(c, ms, env) {
    const sa = c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes ?? {};
    ms.addEvent(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
      upsertWorkflowSearchAttributesEventAttributes: {
        workflowTaskCompletedEventId: env.workflowTaskCompletedEventId,
        searchAttributes: sa,
      },
    });
    mergePayloads(ms.info.searchAttributes, sa.indexedFields);
    ms.addVisibilityTask({ kind: 'upsert-visibility' });
  },
};

export const modifyWorkflowProperties: CommandHandler = {
  cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
  closes: false,
  validate(c) {
    const memo = c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo;
    if (!memo) return 'UpsertedMemo is not set on ModifyWorkflowPropertiesCommand.';
    if (Object.keys(memo.fields ?? {}).length === 0)
      return 'UpsertedMemo.Fields is not set on ModifyWorkflowPropertiesCommand.';
    return undefined;
  },
  apply(c, ms, env) {
    const memo = c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo ?? {};
    ms.addEvent(E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
      workflowPropertiesModifiedEventAttributes: {
        workflowTaskCompletedEventId: env.workflowTaskCompletedEventId,
        upsertedMemo: memo,
      },
    });
    mergePayloads(ms.info.memo, memo.fields);
    ms.addVisibilityTask({ kind: 'upsert-visibility' });
  },
};
