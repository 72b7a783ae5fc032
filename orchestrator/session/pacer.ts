/**
 * Sends agent frames in real time: frame k of a run leaves at `anchor + k·frameMs − leadMs` (never earlier than it
 * arrived), computed from one anchor so timer lateness never accumulates (drift-free). The lead lets the client
 * hold a small buffer against network jitter. When the queue runs dry (the worker is slower than real time) the
 * next frame starts a new run; a hold (barge-in, pause) keeps the unsent frames in order for `release`.
 *
 * @module
 */
import type { Clock, TimerHandle } from "./clock.ts";

/** Timing of one sent frame. */
export interface SendTiming {
  /** When the schedule wanted it sent (clock ms). */
  idealMs: number;
  /** When it was sent (clock ms). */
  actualMs: number;
  /** `|actual − ideal|` for frames sent on schedule; undefined for the first frames of a run (no schedule yet). */
  jitterMs?: number;
}

/** Options of a pacer. */
export interface PacerOptions<T> {
  clock: Clock;
  /** How far ahead of real time frames may be sent, in ms (`PACER_LEAD_MS`). */
  leadMs: number;
  frameMs: number;
  /** Sends one frame; a false return counts the frame as dropped by the transport. */
  send: (frame: T) => boolean;
  /** Called after each frame was handed to `send`. */
  onSent?: (frame: T, timing: SendTiming, delivered: boolean) => void;
  /** Called when the queue ran dry for longer than the lead: the client's buffer ran out (`pacer_underruns_total`). */
  onUnderrun?: () => void;
}

/** A real-time pacer for one session's agent audio. */
export class FramePacer<T> {
  #options: PacerOptions<T>;
  #queue: T[] = [];
  #head = 0;
  #held = false;
  #timer: TimerHandle | undefined;
  /** Start of the current run and the number of frames sent in it. */
  #anchorMs = 0;
  #sentInRun = 0;
  #running = false;
  /** The next frame came after its slot from an empty queue: no schedule to measure it against. */
  #unscheduled = false;
  #spaceWaiters: Array<() => void> = [];
  #underruns = 0;

  constructor(options: PacerOptions<T>) {
    this.#options = options;
  }

  /** Frames waiting to be sent. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Runs started because the queue had run dry (worker slower than real time). */
  get underruns(): number {
    return this.#underruns;
  }

  /** True while sending is held. */
  get held(): boolean {
    return this.#held;
  }

  /** Adds a frame at the end of the queue. */
  enqueue(frame: T): void {
    if (this.queued === 0 && this.#running && this.#timer === undefined) {
      // The queue had run dry and this frame comes after its slot: it goes out at once and is not counted as
      // jitter (the worker was late, not the pacer). Later than the lead, the client's buffer ran out: an
      // underrun, and a new run starts.
      const lateMs = this.#options.clock.now() - this.#slotMs();
      if (lateMs > this.#options.leadMs) {
        this.#running = false;
        this.#underruns++;
        this.#options.onUnderrun?.();
      } else if (lateMs > 0) {
        this.#unscheduled = true;
      }
    }
    this.#queue.push(frame);
    if (!this.#held) this.#pump();
  }

  /** Stops sending at once; queued frames stay, in order, for {@linkcode release}. */
  hold(): void {
    this.#held = true;
    this.#cancelTimer();
  }

  /** Continues after a hold with the next unsent frame, on a fresh schedule. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#running = false;
    this.#pump();
  }

  /** Drops every queued frame and returns them; a hold stays in force. */
  clear(): T[] {
    this.#cancelTimer();
    const dropped = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    this.#running = false;
    this.#wakeSpaceWaiters();
    return dropped;
  }

  /** Resolves once fewer than `maxQueued` frames wait (backpressure toward the worker stream). */
  waitForSpace(maxQueued: number): Promise<void> {
    if (this.queued < maxQueued) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.queued < maxQueued) resolve();
        else this.#spaceWaiters.push(check);
      };
      this.#spaceWaiters.push(check);
    });
  }

  /** Stops timers and drops everything. */
  dispose(): void {
    this.clear();
    this.#held = true;
  }

  /** Send time of the next frame of the current run. */
  #slotMs(): number {
    return this.#anchorMs + this.#sentInRun * this.#options.frameMs - this.#options.leadMs;
  }

  #pump(): void {
    if (this.#timer !== undefined || this.#held) return;
    const clock = this.#options.clock;
    while (this.queued > 0 && !this.#held) {
      const now = clock.now();
      if (!this.#running) {
        this.#running = true;
        this.#anchorMs = now;
        this.#sentInRun = 0;
      }
      const slotMs = this.#slotMs();
      if (slotMs > now) {
        this.#timer = clock.setTimer(() => {
          this.#timer = undefined;
          this.#pump();
        }, slotMs - now);
        return;
      }
      this.#sendNext(slotMs, now);
    }
  }

  #sendNext(slotMs: number, now: number): void {
    const frame = this.#queue[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    // Frames inside the lead of a new run go out at once; only later ones have a schedule to keep.
    const scheduled = slotMs > this.#anchorMs && !this.#unscheduled;
    this.#unscheduled = false;
    this.#sentInRun++;
    const delivered = this.#options.send(frame);
    this.#options.onSent?.(frame, {
      idealMs: Math.max(slotMs, this.#anchorMs),
      actualMs: now,
      jitterMs: scheduled ? Math.abs(now - slotMs) : undefined,
    }, delivered);
    this.#wakeSpaceWaiters();
  }

  #wakeSpaceWaiters(): void {
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #cancelTimer(): void {
    this.#options.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
