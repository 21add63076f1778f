/**
 * A Map that forgets its oldest entries beyond `maxEntries`: state kept in memory (the sandbox's
 * resources, memoised answers) never grows without bound, and recent entries are always kept.
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

/**
 * `fn` with its answers remembered, the oldest forgotten beyond `maxEntries`: for a pure function
 * on a hot path whose inputs repeat (a handful of distinct locale tags), and whose input cannot
 * grow the memory without bound. `undefined` answers are remembered too.
 */
export function boundedMemo<A, R>(fn: (arg: A) => R, maxEntries = 1_000): (arg: A) => R {
  const answers = new BoundedMap<A, R>(maxEntries);
  return (arg) => {
    const known = answers.get(arg);
    if (known !== undefined || answers.has(arg)) return known as R;
    const answer = fn(arg);
    answers.set(arg, answer);
    return answer;
  };
}
