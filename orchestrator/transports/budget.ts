/**
 * A token bucket: `capacity` units may be spent at once, and the bucket refills at `refillPerMs` units per
 * millisecond. Used for the JSON message rate and for the audio budget (audio milliseconds per wall millisecond), so
 * that a client may stream in real time with a burst of slack but cannot flood the server.
 *
 * @module
 */

/** A refilling budget of units. */
export class TokenBucket {
  #level: number;
  #lastMs: number;

  constructor(
    readonly capacity: number,
    readonly refillPerMs: number,
    readonly now: () => number = () => performance.now(),
  ) {
    this.#level = capacity;
    this.#lastMs = now();
  }

  /** Spends `units`; returns false (and spends nothing) when the budget does not cover them. */
  take(units: number): boolean {
    const t = this.now();
    this.#level = Math.min(this.capacity, this.#level + (t - this.#lastMs) * this.refillPerMs);
    this.#lastMs = t;
    if (units > this.#level) return false;
    this.#level -= units;
    return true;
  }

  /** Units available now (after refilling). */
  get level(): number {
    return Math.min(this.capacity, this.#level + (this.now() - this.#lastMs) * this.refillPerMs);
  }
}
