/**
 * Brings client audio to the 16 kHz float the VAD and ASR work at, each frame by its own sample rate: one streaming
 * resampler per rate seen (stateful across frames of that rate; output aligned with input time, so VAD timestamps
 * stay in the stream's own time), none for audio already at 16 kHz. A frame's rate is a property of the frame; the
 * transports validate it (`shared/protocol/limits.ts`).
 *
 * @module
 */
import { SPEECH_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { int16ToFloat32 } from "../../shared/audio/pcm.ts";
import { StreamingResampler } from "../../shared/audio/resampler.ts";

/** One session's converter from s16 client audio at any rate to 16 kHz float. */
export class SpeechRateConverter {
  readonly #resamplers = new Map<number, StreamingResampler>();

  /** Converts one frame; `sampleRate` is the frame's own rate in Hz. */
  convert(samples: Int16Array, sampleRate: number): Float32Array {
    if (!(samples instanceof Int16Array)) throw new TypeError("speech audio must be an Int16Array of s16 samples");
    if (!(Number.isInteger(sampleRate) && sampleRate >= 8000 && sampleRate <= 384_000)) {
      throw new RangeError(`speech audio sample rate must be an integer from 8000 to 384000 Hz, got ${sampleRate}`);
    }
    const float = int16ToFloat32(samples);
    if (sampleRate === SPEECH_SAMPLE_RATE) return float;
    let resampler = this.#resamplers.get(sampleRate);
    if (!resampler) {
      this.#resamplers.set(sampleRate, resampler = new StreamingResampler(sampleRate, SPEECH_SAMPLE_RATE));
    }
    return resampler.process(float);
  }
}
