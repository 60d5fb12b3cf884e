/** The workflow bundle of test/temporal-sdk/update-workflows.ts (workflows with update handlers), built once. */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { installRuntime } from './sdk.js';

let bundle: Promise<{ code: string }> | undefined;

export function updateWorkflowsBundle(): Promise<{ code: string }> {
  installRuntime();
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../temporal-sdk/update-workflows.ts', import.meta.url)),
  });
  return bundle;
}
