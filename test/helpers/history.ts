/** History well-formedness (shared with the harness's end-of-run verification). */
export { eventTypes, historyProblems } from '../../bench/verify/history-check.js';
