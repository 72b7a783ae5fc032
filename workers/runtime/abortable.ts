/**
 * Helpers for waiting on things that must give up promptly when a stream is cancelled. Adapters use
 * {@linkcode nextOrAbort} to read their text input, so an abort never leaves them blocked on a client that went quiet.
 *
 * @module
 */

/** Resolves like `promise`, or rejects with `signal.reason` as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {}); // the abandoned promise must not surface as an unhandled rejection
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** The next item of `iterator`, or `done` as soon as `signal` aborts (the adapter then stops). */
export async function nextOrAbort<T>(
  iterator: AsyncIterator<T>,
  signal: AbortSignal,
): Promise<IteratorResult<T, undefined>> {
  try {
    return await raceAbort(iterator.next(), signal) as IteratorResult<T, undefined>;
  } catch (error) {
    if (signal.aborted) return { done: true, value: undefined };
    throw error;
  }
}

/** Sleeps `ms`, waking early (and rejecting with the abort reason) when `signal` aborts. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
