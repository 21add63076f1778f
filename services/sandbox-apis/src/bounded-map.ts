/**
 * A Map that forgets its oldest entries beyond `maxEntries`: the sandbox keeps its resources in
 * memory, and a long benchmark must not grow it without bound. Recent resources (what tests and
 * compensations look up) are always kept.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly maxEntries = 200_000) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.maxEntries) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return this;
  }
}
