import type { ApiRequest, ApiScope, EffectSpec } from '../api-scope';

/** One item's answer inside a bulk response. */
export interface ItemResult {
  index: number;
  status: number;
  replayed?: boolean;
  id?: unknown;
  result?: unknown;
  version?: unknown;
  error?: unknown;
}

/**
 * Runs the items of a bulk request one by one, each with its own idempotency key
 * (`idempotency_key` in the item, else `<request key>#<index>`): an item that ran before is
 * replayed, an invalid item fails alone, and the others go ahead.
 */
export function runItems<T extends { idempotency_key?: string }>(
  scope: ApiScope,
  request: ApiRequest,
  items: T[],
  apply: (item: T, index: number) => { result: Omit<ItemResult, 'index'>; effect?: EffectSpec },
): { results: ItemResult[]; effects: EffectSpec[] } {
  const results: ItemResult[] = [];
  const effects: EffectSpec[] = [];
  items.forEach((item, index) => {
    const key = item.idempotency_key ?? `${request.idempotencyKey}#${index}`;
    const seen = scope.itemIdempotency(request.callerId, key, item);
    if (seen.kind === 'replay') {
      results.push({ ...(seen.result as ItemResult), index, replayed: true });
      return;
    }
    if (seen.kind === 'mismatch') {
      results.push({
        index,
        status: 422,
        error: { type: 'idempotency_error', message: 'item key reused with a different item' },
      });
      return;
    }
    const { result, effect } = apply(item, index);
    const ok = result.status >= 200 && result.status < 300;
    scope.completeItem(request.callerId, key, result, ok);
    results.push({ ...result, index });
    if (ok && effect) effects.push({ ...effect, idempotencyKey: key });
  });
  return { results, effects };
}
