/** A run's search-attribute map under a start or an upsert: set values are stored, unset ones (null, []) removed. */
import type { temporal } from '../../proto.js';
import { isUnsetPayload } from '../../visibility/search-attributes.js';
import { encodePayloadB64 } from './start.js';

export function mergeSearchAttributes(
  stored: Record<string, string>,
  fields: Readonly<Record<string, temporal.api.common.v1.IPayload>> | null | undefined,
): void {
  for (const [name, payload] of Object.entries(fields ?? {})) {
    if (isUnsetPayload(payload)) delete stored[name];
    else stored[name] = encodePayloadB64(payload);
  }
}
