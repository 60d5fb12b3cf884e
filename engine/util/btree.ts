/**
 * sorted-btree is CommonJS with `exports.default = BTree`; under Node's ESM interop the default import is the
 * whole module object, so the class is re-exported from here once.
 */
import btreeModule from 'sorted-btree';
import type * as BTreeTypes from 'sorted-btree';

export type BTree<K, V> = BTreeTypes.default<K, V>;
export const BTree = btreeModule.default as unknown as new <K, V>(
  entries?: [K, V][],
  compare?: (a: K, b: K) => number,
  maxNodeSize?: number,
) => BTreeTypes.default<K, V>;
