/**
 * Deterministic randomness. Deciders must be pure functions of history (a replayed task must decide the same),
 * so their "random" choices derive from stable keys such as the workflow id; starters get a seeded stream.
 */

/** FNV-1a, 32 bits. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A splitmix-style stream of numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/** A number in [0, 1) fixed by `key` (the same key always gives the same number). */
export function stableRandom(key: string): number {
  return seededRandom(hashString(key))();
}
