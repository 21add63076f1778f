/**
 * Origins whose undici requests DownstreamClient traces itself: its own CLIENT span (only when
 * the call's span is recorded) and its own `traceparent`. @fanout/telemetry's undici
 * instrumentation skips requests to these origins, so an unsampled call builds no span, no
 * attributes and no URL parse twice (the instrumentation did, for every request).
 *
 * The registry lives on globalThis under a registered symbol, so @fanout/telemetry reads it
 * without a dependency on this lib (and a second copy of the lib shares it). Counted: two
 * clients of one origin hold it until both are closed.
 */
export const SELF_TRACED_ORIGINS_KEY = Symbol.for('fanout.downstream.selfTracedOrigins');

type Registry = Map<string, number>;

function registry(): Registry {
  const holder = globalThis as { [SELF_TRACED_ORIGINS_KEY]?: Registry };
  return (holder[SELF_TRACED_ORIGINS_KEY] ??= new Map());
}

/** Marks `origin` as traced by its client; the returned function releases the claim once. */
export function claimSelfTracedOrigin(origin: string): () => void {
  const origins = registry();
  origins.set(origin, (origins.get(origin) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (origins.get(origin) ?? 1) - 1;
    if (left > 0) origins.set(origin, left);
    else origins.delete(origin);
  };
}

export function isSelfTracedOrigin(origin: string): boolean {
  return registry().has(origin);
}
