/** The scenario API: the only part of the harness scenarios may import. */
export * from './commands.js';
export * from './decider-task.js';
export * from './option-specs.js';
export * from './payloads.js';
export * from './scenario.js';
export * from './random.js';
export * from './call-errors.js';
export * from './updates.js';
