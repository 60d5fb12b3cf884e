/** Search attributes a request sets, checked against its namespace's (Temporal's unalias + validate step). */
import { InvalidArgumentError } from '../errors.js';
import type { NamespaceRecord } from '../persistence/records.js';
import type { temporal } from '../proto.js';
import { searchAttributesProblem } from '../visibility/validate.js';
import type { Frontend } from './handler.js';

export async function checkSearchAttributeMapping(
  fe: Frontend,
  namespace: NamespaceRecord,
  sa: temporal.api.common.v1.ISearchAttributes | null | undefined,
): Promise<void> {
  const fields = sa?.indexedFields;
  if (!fields || Object.keys(fields).length === 0) return;
  let problem = searchAttributesProblem(fields, namespace.customSearchAttributes ?? {}, namespace.name);
  // The cached namespace may predate an attribute another engine added: ask the store before refusing.
  if (problem?.includes('has no mapping'))
    problem = searchAttributesProblem(
      fields,
      await fe.namespaces.customSearchAttributes(namespace.name),
      namespace.name,
    );
  if (problem) throw new InvalidArgumentError(problem);
}
