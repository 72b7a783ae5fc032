/**
 * A per-principal budget of responder turns (`LLM_TURNS_PER_MINUTE`): one API key, however many sessions it holds,
 * cannot make the LLM answer more often than that. A turn over budget fails at once with `rate_limited`, before any
 * request goes upstream.
 *
 * @module
 */
import { RateLimiter } from "../http/rate_limit.ts";
import { type Responder, ResponderError, type ResponseRequest } from "./contract.ts";

/** Token buckets of turns, keyed by principal, shared by every session of the process. */
export class TurnBudget {
  readonly #limiter: RateLimiter;

  /** `perMinute` sustained turns per principal, with a burst of a quarter minute's worth (at least 3). */
  constructor(readonly perMinute: number, now?: () => number) {
    const burst = Math.max(3, Math.ceil(perMinute / 4));
    this.#limiter = new RateLimiter(now ? { perMinute, burst, now } : { perMinute, burst });
  }

  /** `responder` charged to `principal`'s budget. */
  wrap(responder: Responder, principal: string): Responder {
    const limiter = this.#limiter;
    return {
      name: responder.name,
      respond(request: ResponseRequest): AsyncIterable<string> {
        const verdict = limiter.take(principal);
        if (!verdict.allowed) {
          const retry = verdict.retryAfterSeconds;
          return {
            [Symbol.asyncIterator]: () => ({
              next: () =>
                Promise.reject(
                  new ResponderError("rate_limited", `turn budget of this credential used up; retry in ${retry} s`),
                ),
            }),
          };
        }
        return responder.respond(request);
      },
    };
  }
}
