/** The workflows update-statement-mix.ts measures: the test suite's hello (greeting) and counter. */
export { greeting } from '../../test/temporal-sdk/workflows.js';
export { counter } from '../../test/temporal-sdk/update-workflows.js';
