/**
 * Why a Temporal method is not served, for the UNIMPLEMENTED answer: whole features this engine leaves out, named
 * so that a user sees what is missing rather than one method's name.
 */
import { UnimplementedError } from '../errors.js';

const FEATURES: readonly [RegExp, string][] = [
  [/Nexus/, 'Nexus is not supported by the stampede reference engine'],
  [
    /Deployment|BuildId|VersioningRules|TaskReachability|WorkerConfig|ComputeConfig/,
    'worker deployments and versioning are not supported by the stampede reference engine',
  ],
  [/BatchOperation/, 'batch operations are not supported by the stampede reference engine'],
  [/ActivityExecution/, 'standalone activities are not supported by the stampede reference engine'],
  [/WorkflowRule/, 'workflow rules are not supported by the stampede reference engine'],
  [/Cluster/, 'multi-cluster replication is not supported by the stampede reference engine'],
];

export function unimplemented(service: string, method: string): UnimplementedError {
  const err = new UnimplementedError(`${service}/${method}`);
  const feature = FEATURES.find(([pattern]) => pattern.test(method));
  if (feature) err.message = `${service}/${method}: ${feature[1]}`;
  return err;
}
