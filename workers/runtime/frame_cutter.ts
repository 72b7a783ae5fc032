/**
 * Cuts a stream of 48 kHz s16 chunks of any length into exact 20 ms wire frames (1920 bytes, little-endian) with
 * the shared {@linkcode FramePacketizer}, and keeps track of which input text each frame speaks. A frame is
 * returned the moment its last sample arrives.
 *
 * @module
 */
import { FramePacketizer } from "../../shared/audio/packetizer.ts";
import { int16ToBytes } from "../../shared/audio/pcm.ts";
import type { AudioChunk } from "./adapter.ts";

/** One wire frame and the span of input text (UTF-16 offsets) its samples came from. */
export interface CutFrame {
  bytes: Uint8Array;
  textStart: number;
  textEnd: number;
}

/** Stateful frame cutter for one Synthesize stream. */
export class FrameCutter {
  readonly #packetizer = new FramePacketizer();
  /** Text start of the samples held for the next frame (-1: nothing held). */
  #heldStart = -1;
  #textEnd = 0;

  /** Adds a chunk; returns the frames it completed (possibly none). */
  push(chunk: AudioChunk): CutFrame[] {
    this.#textEnd = Math.max(this.#textEnd, chunk.textEnd);
    if (chunk.pcm.length === 0) return [];
    // The first completed frame starts with held samples of earlier text, if any; later ones are all this chunk.
    const firstStart = this.#heldStart >= 0 ? this.#heldStart : chunk.textStart;
    const frames = this.#packetizer.push(chunk.pcm).map((samples, i) => ({
      bytes: int16ToBytes(samples),
      textStart: i === 0 ? firstStart : chunk.textStart,
      textEnd: this.#textEnd,
    }));
    if (this.#packetizer.pending === 0) this.#heldStart = -1;
    else if (frames.length > 0 || this.#heldStart < 0) this.#heldStart = chunk.textStart;
    return frames;
  }

  /** The zero-padded partial frame, or null when the audio ended on a frame boundary. */
  flush(): CutFrame | null {
    const tail = this.#packetizer.flushPadded();
    if (!tail) return null;
    const frame = { bytes: int16ToBytes(tail), textStart: Math.max(0, this.#heldStart), textEnd: this.#textEnd };
    this.#heldStart = -1;
    return frame;
  }

  /** End offset of the latest text seen, for a final message that carries no audio. */
  get textEnd(): number {
    return this.#textEnd;
  }
}
