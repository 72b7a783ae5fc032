/**
 * The VAD's front door for transports: takes float or s16 audio at whatever rate the client sends and brings it to
 * 16 kHz float through the shared streaming resampler (stateful across frames; output aligned with input time, so
 * VAD timestamps stay in the stream's own time).
 *
 * @module
 */
import { SPEECH_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { int16ToFloat32 } from "../../shared/audio/pcm.ts";
import { StreamingResampler } from "../../shared/audio/resampler.ts";
import type { VadEvent, VadStream } from "./contract.ts";

/** How the audio arrives. */
export interface VadInputOptions {
  /** Rate of the pushed audio in Hz (e.g. 48000 from WebRTC); 16000 skips resampling. */
  sampleRate: number;
}

/** One stream's audio at any rate → its `VadStream`. */
export class VadInput {
  /** The 16 kHz stream behind this input. */
  readonly stream: VadStream;
  readonly #resampler: StreamingResampler | null;

  constructor(stream: VadStream, options: VadInputOptions) {
    const { sampleRate } = options;
    if (!(Number.isInteger(sampleRate) && sampleRate >= 8000 && sampleRate <= 384_000)) {
      throw new RangeError(`VAD input sample rate must be an integer from 8000 to 384000 Hz, got ${sampleRate}`);
    }
    this.stream = stream;
    this.#resampler = sampleRate === SPEECH_SAMPLE_RATE ? null : new StreamingResampler(sampleRate, SPEECH_SAMPLE_RATE);
  }

  /** Pushes float samples (−1…1) at the input rate. */
  pushFloat(samples: Float32Array): Promise<VadEvent[]> {
    if (!(samples instanceof Float32Array)) {
      return Promise.reject(new TypeError("VadInput.pushFloat needs a Float32Array (use pushS16 for s16 audio)"));
    }
    const bad = samples.findIndex((s) => !Number.isFinite(s));
    if (bad >= 0) {
      return Promise.reject(new RangeError(`VAD input sample ${bad} is ${samples[bad]}; audio must be finite numbers`));
    }
    return this.stream.push(this.#resampler ? this.#resampler.process(samples) : samples);
  }

  /** Pushes s16 samples at the input rate (e.g. a 20 ms wire frame). */
  pushS16(samples: Int16Array): Promise<VadEvent[]> {
    if (!(samples instanceof Int16Array)) {
      return Promise.reject(new TypeError("VadInput.pushS16 needs an Int16Array (use pushFloat for float audio)"));
    }
    return this.pushFloat(int16ToFloat32(samples));
  }

  /** Ends the audio: releases the resampler's held-back tail, then ends speech if inside it. */
  async flush(): Promise<VadEvent[]> {
    const events = this.#resampler ? await this.stream.push(this.#resampler.flush()) : [];
    return [...events, ...(await this.stream.flush())];
  }

  /** Starts over: resampler history and stream state cleared, stream time back to 0. */
  async reset(): Promise<void> {
    this.#resampler?.reset();
    await this.stream.reset();
  }
}
