/**
 * Watches one worker call for a stall: no audio for a while although audio is due. A worker that still answers its
 * health check is busy (queued behind other sessions), not dead, so the watch asks it before calling a stall.
 *
 * @module
 */

/** What the watch needs to know about the call it watches. */
export interface StallProbe {
  /** Asks the worker's health check; true when it answered SERVING. */
  alive(): Promise<boolean>;
  /** Whether the watched call is still the stream's current one (a failover or the end may have come meanwhile). */
  current(): boolean;
  /** No audio, no health: the worker is gone. */
  stalled(): void;
  /** No audio yet, but the worker answers: called so the caller can log and arm the watch again. */
  busy(): void;
}

/** A restartable timer over one call at a time. */
export class StallWatch {
  readonly #ms: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param ms How long without audio counts as a stall. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /** The stall timeout in milliseconds. */
  get ms(): number {
    return this.#ms;
  }

  /** Starts (or restarts) the watch; any earlier one is cancelled. */
  arm(probe: StallProbe): void {
    this.cancel();
    this.#timer = setTimeout(async () => {
      const alive = await probe.alive();
      if (!probe.current()) return;
      if (alive) probe.busy();
      else probe.stalled();
    }, this.#ms);
  }

  /** Stops watching. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
