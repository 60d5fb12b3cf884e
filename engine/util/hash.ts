/**
 * Stable 32-bit hash (FNV-1a over UTF-8) for mapping workflows to history shards. Temporal uses
 * farm.Fingerprint32; any stable hash keeps the property that matters: a workflow id always lands on the
 * same shard, across processes and restarts.
 */
const encoder = new TextEncoder();

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  // ASCII (every UUID and most workflow ids) is its own UTF-8: hash the code units without encoding the string.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return fnv1a32Bytes(encoder.encode(text));
    h ^= c;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fnv1a32Bytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const byte of bytes) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Temporal's mapping: hash(namespaceId + "_" + workflowId) % numShards + 1 (shard ids start at 1). */
export function shardFor(namespaceId: string, workflowId: string, numShards: number): number {
  return (fnv1a32(`${namespaceId}_${workflowId}`) % numShards) + 1;
}
