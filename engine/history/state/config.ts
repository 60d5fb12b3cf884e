/** Server-side defaults and limits the state machines apply (Temporal's dynamic-config equivalents). */
export const StateDefaults = {
  /** Workflow task start-to-close when the start request sets none (Temporal: 10 s). */
  workflowTaskTimeoutMs: 10_000,
  /** Upper bound of a workflow task timeout (Temporal: 120 s). */
  maxWorkflowTaskTimeoutMs: 120_000,
  /** Sticky schedule-to-start when the worker sends none. */
  stickyScheduleToStartTimeoutMs: 10_000,
  /** Activity retry defaults (Temporal's): 1 s initial, x2, cap 100 x initial, unlimited attempts. */
  activityRetryInitialIntervalMs: 1_000,
  activityRetryBackoffCoefficient: 2,
  activityRetryMaxIntervalFactor: 100,
  /**
   * Activities one workflow task completion may start eagerly (the SDKs reserve at most 3 slots per task); the
   * rest go through matching.
   */
  maxEagerActivitiesPerWorkflowTask: 3,
  /** Retention when the namespace sets none (virtual time). */
  retentionMs: 24 * 3600_000,
} as const;
