/**
 * A counting semaphore: bounds how many model loads run at once (loads are memory- and CPU-heavy, so a burst of
 * requests for different models must not load them all in parallel).
 *
 * @module
 */

/** Grants at most `permits` holders at a time; waiters are served first come, first served. */
export class Semaphore {
  #available: number;
  readonly #waiters: Array<() => void> = [];

  /** @param permits how many holders may run at once (at least 1). */
  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(`permits must be an integer >= 1, got ${permits}`);
    }
    this.#available = permits;
  }

  /** Callers waiting for a permit right now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Runs `task` while holding a permit, releasing it however the task ends. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#available > 0) {
      this.#available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #release(): void {
    const next = this.#waiters.shift();
    // Hand the permit straight to the next waiter so a late arrival cannot overtake it.
    if (next) next();
    else this.#available++;
  }
}
