/**
 * Who owns what in an engine cluster: rendezvous (highest-random-weight) hashing over the live members. Every
 * member, and the harness, computes the same owner from the same member list with no coordination; when a member
 * joins or leaves, only the shards (or task queues) it gains or loses move — about 1/N of them — as with the
 * consistent hashing of Temporal's ringpop.
 */
import { fnv1a32 } from '../util/hash.js';

/** A 32-bit mix of the key's hash and the member's (splitmix-style finalizer: FNV alone spreads short keys poorly). */
function weight(memberId: string, key: string): number {
  let h = fnv1a32(`${memberId}\u0000${key}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The member that owns `key` among `memberIds` (undefined when there are none). Ties go to the smaller id. */
export function ownerOf(key: string, memberIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const id of memberIds) {
    const w = weight(id, key);
    if (w > bestWeight || (w === bestWeight && best !== undefined && id < best)) {
      best = id;
      bestWeight = w;
    }
  }
  return best;
}

/** The member that owns history shard `shardId`. */
export function shardOwner(shardId: number, memberIds: readonly string[]): string | undefined {
  return ownerOf(`shard/${shardId}`, memberIds);
}

/** The member that owns a task queue (one partition per queue and type, as this engine keeps them). */
export function taskQueueOwner(
  namespaceId: string,
  name: string,
  type: 'workflow' | 'activity',
  memberIds: readonly string[],
): string | undefined {
  return ownerOf(`queue/${namespaceId}/${type}/${name}`, memberIds);
}

/** Shard ids 1..numShards owned by `memberId`. */
export function shardsOf(memberId: string, memberIds: readonly string[], numShards: number): number[] {
  const out: number[] = [];
  for (let id = 1; id <= numShards; id++) if (shardOwner(id, memberIds) === memberId) out.push(id);
  return out;
}
