/**
 * The `BuildIds` search attribute Temporal maintains from the worker version stamp of each completed workflow task
 * (`MutableStateImpl.addBuildIdToLoadedSearchAttribute`, unversioned and versioning-v2 cases; worker deployments are
 * not implemented here): an unversioned run's list starts with the sentinel `unversioned`, followed by every build
 * id that completed one of its tasks, as `unversioned:<id>` (or `versioned:<id>` for a stamp with useVersioning).
 * Reachability queries and the SDK's tests (`describe().searchAttributes.BuildIds`) read it. Written only when the
 * list changes, with a visibility upsert as Temporal generates one.
 */
import type { temporal } from '../../proto.js';
import { payloadJson, typedPayload } from '../../visibility/search-attributes.js';
import type { MutableState } from '../mutable-state.js';
import { decodePayloadB64, encodePayloadB64 } from './start.js';

const UNVERSIONED = 'unversioned';

/** Temporal's `VersionStampToBuildIdSearchAttribute`; undefined without a stamp. */
function stampValue(stamp: temporal.api.common.v1.IWorkerVersionStamp | null | undefined): string | undefined {
  if (!stamp) return undefined;
  if (!stamp.buildId) return UNVERSIONED;
  return `${stamp.useVersioning ? 'versioned' : UNVERSIONED}:${stamp.buildId}`;
}

function storedBuildIds(ms: MutableState): string[] {
  const b64 = ms.info.searchAttributes.BuildIds;
  const json = b64 === undefined ? undefined : payloadJson(decodePayloadB64(b64));
  return Array.isArray(json) ? json.filter((v): v is string => typeof v === 'string') : [];
}

/** The list after a task completed with `stamp` (Temporal's order: sentinel first, then build ids as first seen). */
export function nextBuildIds(
  existing: readonly string[],
  stamp: temporal.api.common.v1.IWorkerVersionStamp | null | undefined,
): string[] {
  const value = stampValue(stamp);
  const next = stamp?.useVersioning ? [] : [UNVERSIONED];
  for (const v of existing)
    if (v !== UNVERSIONED && !v.startsWith('assigned:') && !v.startsWith('pinned')) next.push(v);
  if (value !== undefined && value !== UNVERSIONED && !existing.includes(value)) next.push(value);
  return next;
}

/** Records the build id of a completed workflow task in the run's `BuildIds`, when that changes the list. */
export function trackBuildId(
  ms: MutableState,
  stamp: temporal.api.common.v1.IWorkerVersionStamp | null | undefined,
): void {
  const existing = storedBuildIds(ms);
  const next = nextBuildIds(existing, stamp);
  if (next.length === existing.length && next.every((v, i) => v === existing[i])) return;
  ms.info.searchAttributes.BuildIds = encodePayloadB64(typedPayload(next, 'KeywordList'));
  ms.touch();
  ms.addVisibilityTask({ kind: 'upsert-visibility' });
}
