/**
 * One step of lookahead for a compute pipeline: while the consumer works on one result (resampling, framing,
 * sending), the next item's computation is already running — but only when that item is available at once, so
 * waiting for more input never delays a result. At most one computation runs ahead of the consumer.
 *
 * @module
 */

const NOT_YET = Symbol("not yet");

/** Resolves to NOT_YET after pending callbacks have run, so a ready iterator result wins the race. */
function shortly(): Promise<typeof NOT_YET> {
  return new Promise((resolve) => setTimeout(() => resolve(NOT_YET), 0));
}

/** Yields `{ item, result }` in order, where `result = await compute(item)`. */
export async function* lookahead<T, R>(
  items: AsyncIterable<T>,
  compute: (item: T) => Promise<R>,
): AsyncGenerator<{ item: T; result: R }> {
  const iterator = items[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | null = iterator.next();
  let running: { item: T; result: Promise<R> } | null = null;
  try {
    const first = await pending;
    pending = null;
    if (first.done) return;
    running = { item: first.value, result: compute(first.value) };
    while (running) {
      const current = running;
      running = null;
      pending = iterator.next();
      const result = await current.result;
      const ready = await Promise.race([pending, shortly()]);
      if (ready !== NOT_YET) {
        pending = null;
        if (!ready.done) running = { item: ready.value, result: compute(ready.value) };
      }
      yield { item: current.item, result };
      if (pending) {
        const next = await pending;
        pending = null;
        if (!next.done) running = { item: next.value, result: compute(next.value) };
      } else if (!running) return;
    }
  } finally {
    // A computation started for a consumer that left is not awaited; its outcome must not surface as unhandled.
    (running as { result: Promise<R> } | null)?.result.catch(() => {});
    pending?.catch(() => {});
    iterator.return?.(undefined)?.catch?.(() => {});
  }
}
