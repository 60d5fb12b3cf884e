/**
 * sorted-btree is CommonJS with `exports.default = BTree`. Node's ESM interop makes the default import the whole
 * module object, while bundler-style interop (vitest) unwraps it to the class: accept both, once, here.
 */
import btreeModule from 'sorted-btree';
import type * as BTreeTypes from 'sorted-btree';

export type BTree<K, V> = BTreeTypes.default<K, V>;

type Ctor = new <K, V>(
  entries?: [K, V][],
  compare?: (a: K, b: K) => number,
  maxNodeSize?: number,
) => BTreeTypes.default<K, V>;

const loaded = btreeModule as unknown as Ctor | { default: Ctor };
export const BTree: Ctor = typeof loaded === 'function' ? loaded : loaded.default;
