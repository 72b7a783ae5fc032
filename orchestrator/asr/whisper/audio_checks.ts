/**
 * Checks on audio handed to the Whisper engine; each failure is an `AsrInputError` that names the problem.
 *
 * @module
 */
import { AsrInputError } from "../contract.ts";

/** Peak above which the samples are clearly not float PCM in [-1, 1] (clipped float audio stays at ±1). */
const MAX_PEAK = 1.5;

/** Throws unless `samples` is a Float32Array of finite values in [-1.5, 1.5]. */
export function checkSamples(samples: unknown, what = "samples"): asserts samples is Float32Array {
  if (!(samples instanceof Float32Array)) {
    const kind = samples === null
      ? "null"
      : Array.isArray(samples)
      ? "an Array"
      : typeof samples === "object"
      ? (samples as object).constructor?.name ?? "an object"
      : typeof samples;
    throw new AsrInputError(`${what} must be a Float32Array of 16 kHz mono PCM in [-1, 1], got ${kind}`);
  }
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    if (!Number.isFinite(v)) throw new AsrInputError(`${what}[${i}] is ${v}: audio samples must be finite`);
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
  }
  if (peak > MAX_PEAK) {
    throw new AsrInputError(
      `${what} peak is ${peak.toFixed(1)}, outside [-1, 1]: pass float PCM (int16 PCM must be divided by 32768)`,
    );
  }
}

/** Throws when an utterance would exceed `maxSeconds` of 16 kHz audio. */
export function checkDuration(totalSamples: number, maxSeconds: number): void {
  if (totalSamples > maxSeconds * 16_000) {
    throw new AsrInputError(
      `utterance is ${(totalSamples / 16_000).toFixed(1)} s long; the Whisper engine takes at most ${maxSeconds} s`,
    );
  }
}
