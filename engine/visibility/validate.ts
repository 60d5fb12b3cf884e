/**
 * Search attributes a client sets (at start, by UpsertWorkflowSearchAttributes, on a schedule) checked as Temporal's
 * `searchattribute.Validator` checks them after unaliasing: system attributes are not settable, unknown names have
 * no mapping in the namespace, and each value must decode as its attribute's type. Sizes are checked by the
 * frontend's limits (frontend/validate.ts).
 */
import type { temporal } from '../proto.js';
import {
  attributeType,
  isUnsetPayload,
  payloadJson,
  PREDEFINED_ATTRIBUTES,
  SYSTEM_ATTRIBUTES,
  typedValue,
} from './search-attributes.js';

/** The first problem with `fields` (Temporal's message), or undefined when they are valid. */
export function searchAttributesProblem(
  fields: Readonly<Record<string, temporal.api.common.v1.IPayload>> | null | undefined,
  custom: Readonly<Record<string, number>>,
  namespace: string,
): string | undefined {
  for (const [name, payload] of Object.entries(fields ?? {})) {
    if (SYSTEM_ATTRIBUTES.has(name) || PREDEFINED_ATTRIBUTES.get(name)?.settable === false)
      return `${name} attribute can't be set in SearchAttributes`;
    const type = attributeType(name, custom);
    if (!type) return `Namespace ${namespace} has no mapping defined for search attribute ${name}`;
    if (isUnsetPayload(payload)) continue;
    if (typedValue(payloadJson(payload), type) === undefined) {
      const shown = Buffer.from(payload.data ?? new Uint8Array()).toString('utf8');
      return `invalid value for search attribute ${name} of type ${type}: ${shown}`;
    }
  }
  return undefined;
}
