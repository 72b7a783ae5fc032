/**
 * PCM helpers: s16 ↔ float conversion, level measures, and byte views of s16le audio without copies.
 *
 * Scale: float samples are s16 / 32768, so −32768 ↔ −1 exactly; float → s16 rounds and clips.
 *
 * @module
 */

/** Whether this machine stores numbers little-endian (every platform Deno ships for; checked, not assumed). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** s16 → float (−1…1). Writes into `out` when given (it must be at least as long). */
export function int16ToFloat32(
  samples: Int16Array,
  out: Float32Array = new Float32Array(samples.length),
): Float32Array {
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 32768;
  return out;
}

/** float (−1…1) → s16, rounding to nearest and clipping. Writes into `out` when given. */
export function float32ToInt16(samples: Float32Array, out: Int16Array = new Int16Array(samples.length)): Int16Array {
  for (let i = 0; i < samples.length; i++) {
    const s = Math.round(samples[i] * 32768);
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}

/** Root mean square in the samples' own unit (s16 units for Int16Array, 0…1 for floats); 0 for no samples. */
export function rms(samples: Int16Array | Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/** Largest absolute sample, in the samples' own unit. */
export function peak(samples: Int16Array | Float32Array): number {
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i]);
    if (a > max) max = a;
  }
  return max;
}

/** A level in dB relative to full scale (`fullScale` 32768 for s16 units, 1 for floats); −Infinity for silence. */
export function toDbfs(level: number, fullScale: number): number {
  return 20 * Math.log10(level / fullScale);
}

/**
 * s16le bytes → samples. A view on the same memory when the bytes start at an even offset (no copy); a copy
 * otherwise. Throws for an odd byte count, which cannot be s16 audio.
 */
export function bytesToInt16(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new RangeError(`s16le PCM must have an even number of bytes, got ${bytes.byteLength}`);
  }
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  }
  const out = new Int16Array(bytes.byteLength / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}

/** Samples → s16le bytes: a view on the same memory (no copy). */
export function int16ToBytes(samples: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i], true);
  return out;
}

/** Averages interleaved channels into mono. */
export function downmix(interleaved: Float32Array, channels: number): Float32Array {
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[f * channels + c];
    out[f] = sum / channels;
  }
  return out;
}
