/**
 * Test signals for the audio tests: sines, a seeded random generator, and an SNR measure.
 *
 * @module
 */
import { seededRandom } from "../../../harness/random.ts";

export { seededRandom };

/** `length` samples of `amplitude`·sin(2π·freq·n/rate). */
export function sine(freq: number, rate: number, length: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(length);
  for (let n = 0; n < length; n++) out[n] = amplitude * Math.sin((2 * Math.PI * freq * n) / rate);
  return out;
}

/** SNR in dB of `actual` against `expected(n)`, over samples [from, to). */
export function snrDb(actual: Float32Array, expected: (n: number) => number, from: number, to: number): number {
  let signal = 0;
  let noise = 0;
  for (let n = from; n < to; n++) {
    const e = expected(n);
    signal += e * e;
    noise += (actual[n] - e) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** Concatenates typed arrays of one kind. */
export function concat<T extends Float32Array | Int16Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Splits `length` into random chunk sizes: mostly small, some 0 and 1, a few large. */
export function randomChunkSizes(length: number, random: () => number): number[] {
  const sizes: number[] = [];
  let left = length;
  while (left > 0) {
    const r = random();
    const size = r < 0.1 ? 0 : r < 0.3 ? 1 : r < 0.9 ? 1 + Math.floor(random() * 300) : Math.floor(random() * 5000);
    sizes.push(Math.min(size, left));
    left -= Math.min(size, left);
  }
  return sizes;
}
