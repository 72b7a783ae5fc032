/**
 * Checks and converts the audio an utterance receives. The ASR contract takes 16 kHz float32 in [-1, 1]; anything
 * else is refused with an `AsrInputError` that names the problem, before it reaches the decoder.
 *
 * @module
 */
import { AsrInputError } from "../contract.ts";

/** Samples beyond this magnitude are not float audio that was merely clipped: most likely s16 values as floats. */
export const MAX_ABS_SAMPLE = 2;

/** Throws `AsrInputError` unless `samples` is a Float32Array of finite values within ±MAX_ABS_SAMPLE. */
export function checkSamples(samples: unknown): asserts samples is Float32Array {
  if (!(samples instanceof Float32Array)) {
    const kind = samples === null || typeof samples !== "object"
      ? String(samples)
      : (samples as object).constructor?.name;
    throw new AsrInputError(`ASR audio must be a Float32Array of 16 kHz mono samples in [-1, 1], got ${kind}`);
  }
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (!Number.isFinite(s)) throw new AsrInputError(`ASR audio sample ${i} is ${s}; samples must be finite numbers`);
    if (s > MAX_ABS_SAMPLE || s < -MAX_ABS_SAMPLE) {
      throw new AsrInputError(
        `ASR audio sample ${i} is ${s}, far outside [-1, 1] — was s16 audio passed without dividing by 32768?`,
      );
    }
  }
}
