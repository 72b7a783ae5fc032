/**
 * A synthesis session: one client's hold on one model plus its own pause state and running stream. Nothing here is
 * shared between sessions, so PAUSE/RESUME/STOP on one session can never touch another, even on the same model.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { SynthesisOptions } from "./adapter.ts";
import type { ModelLease } from "./model_manager.ts";
import { RpcError } from "./rpc_error.ts";

/** What ControlResponse.state reports. */
export type SessionState = "idle" | "synthesizing" | "paused";

/** The running Synthesize stream of a session, as the stream sees it. */
export interface StreamTicket {
  /** Aborted (with an {@linkcode RpcError} reason) by STOP, EndSession, a forced unload or shutdown. */
  readonly signal: AbortSignal;
  /** Marks the stream as over; idempotent. */
  finish(): void;
}

interface ActiveStream {
  controller: AbortController;
  done: Promise<void>;
  resolveDone: () => void;
}

/** One session: model lease, options, pause gate and at most one running stream. */
export class Session {
  #paused = false;
  readonly #resumeWaiters = new Set<() => void>();
  #stream: ActiveStream | null = null;
  #ended = false;
  /** When the client last showed it still holds the session (start, renewal, end of a stream); ms, any clock. */
  #renewedAt: number;

  constructor(
    readonly id: string,
    readonly lease: ModelLease,
    readonly options: SynthesisOptions,
    now: number = performance.now(),
  ) {
    this.#renewedAt = now;
  }

  /** The client still holds the session (RenewSessions): its lease restarts now. */
  renew(now: number = performance.now()): void {
    this.#renewedAt = now;
  }

  /**
   * True when the session has no running stream and was not renewed for `leaseMs`: its client is gone or forgot it,
   * and the worker may end it. A running stream is never expired (its call is proof of life).
   */
  leaseExpired(leaseMs: number, now: number = performance.now()): boolean {
    return !this.#ended && !this.#stream && now - this.#renewedAt >= leaseMs;
  }

  /** The model this session holds. */
  get modelId(): string {
    return this.lease.modelId;
  }

  /** Current state for ControlResponse. */
  get state(): SessionState {
    if (!this.#stream) return "idle";
    return this.#paused ? "paused" : "synthesizing";
  }

  /** True while the stream is paused (frames are held back and the adapter is not pulled). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Registers a new Synthesize stream; a session runs one stream at a time. */
  beginStream(): StreamTicket {
    if (this.#ended) throw new RpcError(status.NOT_FOUND, `session "${this.id}" has ended`);
    if (this.#stream) {
      throw new RpcError(
        status.FAILED_PRECONDITION,
        `session "${this.id}" already has a running Synthesize stream; STOP it or wait for its final frame`,
      );
    }
    const controller = new AbortController();
    let resolveDone = () => {};
    const done = new Promise<void>((resolve) => resolveDone = resolve);
    const stream: ActiveStream = { controller, done, resolveDone };
    this.#stream = stream;
    this.#paused = false;
    return {
      signal: controller.signal,
      finish: () => {
        if (this.#stream !== stream) return;
        this.#stream = null;
        this.#renewedAt = performance.now();
        this.#setPaused(false);
        resolveDone();
      },
    };
  }

  /** PAUSE: holds back further frames of the running stream. False when nothing is running or already paused. */
  pause(): boolean {
    if (!this.#stream || this.#paused) return false;
    this.#setPaused(true);
    return true;
  }

  /** RESUME: continues from the next unsent frame. False when not paused. */
  resume(): boolean {
    if (!this.#stream || !this.#paused) return false;
    this.#setPaused(false);
    return true;
  }

  /** Resolves at once when not paused, else when resumed; rejects with the abort reason if `signal` aborts first. */
  waitWhilePaused(signal: AbortSignal): Promise<void> {
    if (!this.#paused) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#resumeWaiters.delete(onResume);
        reject(signal.reason);
      };
      const onResume = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#resumeWaiters.add(onResume);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Cancels the running stream (if any) with `reason` and waits until it has ended. True when one was running. */
  async cancelStream(reason: RpcError): Promise<boolean> {
    const stream = this.#stream;
    if (!stream) return false;
    stream.controller.abort(reason);
    await stream.done;
    return true;
  }

  /** STOP: cancels the running stream; the session stays open for a new Synthesize. */
  stop(): Promise<boolean> {
    return this.cancelStream(new RpcError(status.CANCELLED, `synthesis of session "${this.id}" stopped by STOP`));
  }

  /** Ends the session: cancels its stream and releases its model. Idempotent. */
  async end(reason: RpcError): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.cancelStream(reason);
    this.lease.release();
  }

  #setPaused(paused: boolean): void {
    this.#paused = paused;
    if (paused) return;
    const waiters = [...this.#resumeWaiters];
    this.#resumeWaiters.clear();
    for (const wake of waiters) wake();
  }
}
