/**
 * Cuts PCM of any chunk length into exact wire frames (960 samples = 1920 bytes of s16le at 48 kHz, 20 ms),
 * holding the remainder until the next chunk. A frame is returned as soon as its last sample arrives.
 *
 * @module
 */
import { FRAME_SAMPLES } from "./format.ts";
import { int16ToBytes } from "./pcm.ts";

/** Stateful frame cutter for one stream. */
export class FramePacketizer {
  /** Samples per frame. */
  readonly frameSamples: number;
  #frame: Int16Array;
  #filled = 0;

  /** @param frameSamples samples per frame (default the wire's 960) */
  constructor(frameSamples: number = FRAME_SAMPLES) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`frame size must be a positive whole number of samples, got ${frameSamples}`);
    }
    this.frameSamples = frameSamples;
    this.#frame = new Int16Array(frameSamples);
  }

  /** Samples waiting for the next frame. */
  get pending(): number {
    return this.#filled;
  }

  /** Adds samples; returns the frames they completed (each a fresh array of exactly `frameSamples`). */
  push(samples: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let i = 0;
    while (i < samples.length) {
      const take = Math.min(this.frameSamples - this.#filled, samples.length - i);
      this.#frame.set(samples.subarray(i, i + take), this.#filled);
      this.#filled += take;
      i += take;
      if (this.#filled === this.frameSamples) {
        frames.push(this.#frame);
        this.#frame = new Int16Array(this.frameSamples);
        this.#filled = 0;
      }
    }
    return frames;
  }

  /** `push` with s16le frames as bytes (views on the frames' memory, 1920 bytes each for the wire). */
  pushBytes(samples: Int16Array): Uint8Array[] {
    return this.push(samples).map(int16ToBytes);
  }

  /** Ends the stream: the held samples zero-padded to one full frame, or `undefined` when nothing is held. */
  flushPadded(): Int16Array | undefined {
    if (this.#filled === 0) return undefined;
    const last = this.#frame; // the unfilled tail is still zero: frames are fresh arrays
    this.#frame = new Int16Array(this.frameSamples);
    this.#filled = 0;
    return last;
  }

  /** Drops held samples (e.g. on STOP). */
  reset(): void {
    this.#frame.fill(0);
    this.#filled = 0;
  }
}
