/** A bounded map that evicts the least recently used entry the `evictable` predicate allows. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    private readonly capacity: number,
    private readonly evictable: (value: V) => boolean = () => true,
  ) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.evict();
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  private evict(): void {
    let excess = this.map.size - this.capacity;
    for (const [k, v] of this.map) {
      if (excess <= 0) break;
      if (this.evictable(v)) {
        this.map.delete(k);
        excess -= 1;
      }
    }
  }
}
