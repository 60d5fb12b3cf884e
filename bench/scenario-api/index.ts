/** The scenario API: the only part of the harness scenarios may import. */
export * from './commands.js';
export * from './history.js';
export * from './options.js';
export * from './payloads.js';
export * from './types.js';
export * from './random.js';
export * from './errors.js';
