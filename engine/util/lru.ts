/**
 * A bounded map that evicts the least recently used entry the `evictable` predicate allows. Recency is a doubly
 * linked list through the entries (a `get` relinks one node), not Map delete-and-set, which cost a hash removal and
 * insertion on every hit of the engine's hottest lookups.
 */
interface Node<K, V> {
  key: K;
  value: V;
  /** Towards the least recently used end. */
  older: Node<K, V> | undefined;
  /** Towards the most recently used end. */
  newer: Node<K, V> | undefined;
}

export class LruMap<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | undefined;
  private newest: Node<K, V> | undefined;

  constructor(
    private readonly capacity: number,
    private readonly evictable: (value: V) => boolean = () => true,
  ) {}

  get(key: K): V | undefined {
    const n = this.map.get(key);
    if (n === undefined) return undefined;
    this.touch(n);
    return n.value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: K, value: V): void {
    const n = this.map.get(key);
    if (n !== undefined) {
      n.value = value;
      this.touch(n);
      return;
    }
    const node: Node<K, V> = { key, value, older: undefined, newer: undefined };
    this.map.set(key, node);
    this.append(node);
    if (this.map.size > this.capacity) this.evict();
  }

  delete(key: K): boolean {
    const n = this.map.get(key);
    if (n === undefined) return false;
    this.unlink(n);
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.oldest = this.newest = undefined;
  }

  get size(): number {
    return this.map.size;
  }

  /** Values from the least to the most recently used. */
  *values(): IterableIterator<V> {
    for (let n = this.oldest; n !== undefined; n = n.newer) yield n.value;
  }

  /** Makes `n` the most recently used. */
  private touch(n: Node<K, V>): void {
    if (n === this.newest) return;
    this.unlink(n);
    this.append(n);
  }

  private append(n: Node<K, V>): void {
    n.older = this.newest;
    n.newer = undefined;
    if (this.newest) this.newest.newer = n;
    else this.oldest = n;
    this.newest = n;
  }

  private unlink(n: Node<K, V>): void {
    if (n.older) n.older.newer = n.newer;
    else this.oldest = n.newer;
    if (n.newer) n.newer.older = n.older;
    else this.newest = n.older;
    n.older = n.newer = undefined;
  }

  private evict(): void {
    let excess = this.map.size - this.capacity;
    for (let n = this.oldest; n !== undefined && excess > 0;) {
      const next = n.newer;
      if (this.evictable(n.value)) {
        this.unlink(n);
        this.map.delete(n.key);
        excess -= 1;
      }
      n = next;
    }
  }
}
