/**
 * The frames a speech stream received and its consumer has not taken yet, with flow control: past a high-water mark
 * the worker is held back, and let go again once the consumer has drained the queue to the low-water mark. The
 * session's pacer takes up to the same number of frames ahead (`HIGH_WATER_FRAMES` is the one constant): audio it
 * holds keeps playing through a failover, which drops only what still waits here.
 *
 * @module
 */
import type { TtsFrame } from "./contract.ts";

/** A frame waiting for the stream's consumer. */
export type QueuedFrame = TtsFrame;

/** How the queue holds back and lets go of the producer (the current worker call, which may change). */
export interface FlowControl {
  /** The queue is full: stop delivering. */
  hold(): void;
  /** The queue drained: deliver again. */
  release(): void;
}

/** Frames buffered before the worker is held back (5 s of 20 ms audio). */
export const HIGH_WATER_FRAMES = 250;
/** Frames left when the worker may deliver again. */
export const LOW_WATER_FRAMES = 50;

/** A FIFO of frames between a worker call and the stream's consumer. */
export class FrameQueue {
  readonly #frames: QueuedFrame[] = [];
  readonly #flow: FlowControl;
  #held = false;
  #wake: (() => void) | null = null;

  constructor(flow: FlowControl) {
    this.#flow = flow;
  }

  /** True while the producer is held back because the queue is full. */
  get held(): boolean {
    return this.#held;
  }

  /** Frames waiting. */
  get length(): number {
    return this.#frames.length;
  }

  /** Sequence number of the newest frame waiting; undefined when none waits. */
  get lastSeq(): number | undefined {
    return this.#frames.at(-1)?.seq;
  }

  /** Adds a frame, holds the producer back at the high-water mark, and wakes a waiting consumer. */
  push(frame: QueuedFrame): void {
    this.#frames.push(frame);
    if (!frame.isFinal && this.#frames.length >= HIGH_WATER_FRAMES && !this.#held) {
      this.#held = true;
      this.#flow.hold();
    }
    this.notify();
  }

  /** Takes the oldest frame; lets the producer go again once the queue is down to the low-water mark. */
  shift(): QueuedFrame | undefined {
    const frame = this.#frames.shift();
    if (frame && this.#held && this.#frames.length <= LOW_WATER_FRAMES) {
      this.#held = false;
      this.#flow.release();
    }
    return frame;
  }

  /** Keeps only the frames `keep` accepts (the producer changed; its successor starts unheld). */
  retain(keep: (frame: QueuedFrame) => boolean): void {
    const kept = this.#frames.filter(keep);
    this.#frames.splice(0, this.#frames.length, ...kept);
    this.#held = false;
  }

  /** Drops every frame. */
  clear(): void {
    this.#frames.length = 0;
  }

  /** Resolves at the next push or {@linkcode notify}. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => this.#wake = resolve);
  }

  /** Wakes a consumer waiting in {@linkcode next} (the stream ended or failed). */
  notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
