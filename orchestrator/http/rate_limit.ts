/**
 * A per-client rate limit: each key (a client address) gets a token bucket of `burst` requests that refills at
 * `perMinute`. The table is bounded: when it grows past `maxKeys`, keys whose bucket is full again (idle clients)
 * are forgotten, and if that is not enough the oldest keys go.
 *
 * @module
 */

/** Settings of a limiter. */
export interface RateLimitSettings {
  /** Sustained requests per minute per key. */
  perMinute: number;
  /** Requests a key may make at once. */
  burst: number;
  /** Most keys remembered (default 10 000). */
  maxKeys?: number;
  /** Clock in ms (injectable for tests). */
  now?: () => number;
}

/** The verdict for one request. */
export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Token buckets keyed by client. */
export class RateLimiter {
  #settings: Required<RateLimitSettings>;
  #buckets = new Map<string, { level: number; atMs: number }>();

  constructor(settings: RateLimitSettings) {
    if (!(settings.perMinute > 0) || !(settings.burst >= 1)) {
      throw new Error(`rate limit needs perMinute > 0 and burst >= 1 (got ${settings.perMinute}, ${settings.burst})`);
    }
    this.#settings = { maxKeys: 10_000, now: () => performance.now(), ...settings };
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one request from `key`'s budget. */
  take(key: string): RateVerdict {
    const { perMinute, burst, now } = this.#settings;
    const t = now();
    const perMs = perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? { level: burst, atMs: t };
    bucket.level = Math.min(burst, bucket.level + (t - bucket.atMs) * perMs);
    bucket.atMs = t;
    // Re-insert so the map's order is least recently used first.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#settings.maxKeys) this.#prune(t);
    if (bucket.level < 1) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.level) / perMs / 1000)) };
    }
    bucket.level -= 1;
    return { allowed: true };
  }

  #prune(t: number): void {
    const { perMinute, burst, maxKeys } = this.#settings;
    const perMs = perMinute / 60_000;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.level + (t - bucket.atMs) * perMs >= burst) this.#buckets.delete(key);
    }
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= maxKeys) break;
      this.#buckets.delete(key);
    }
  }
}
