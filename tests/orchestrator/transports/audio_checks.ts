/**
 * Measures for audio that crossed a codec: test tones, loud-duration counting and polling.
 *
 * @module
 */

/** `ms` of a sine tone at `rate` (loud enough to survive Opus), as s16; `offset` continues a previous chunk. */
export function tone(ms: number, rate: number, hz = 440, amplitude = 8_000, offset = 0): Int16Array {
  return Int16Array.from(
    { length: Math.round((rate * ms) / 1000) },
    (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * (offset + i)) / rate)),
  );
}

/** Milliseconds of audio in `chunks` whose 10 ms RMS exceeds `floor` (each chunk measured on its own). */
export function loudMs(chunks: Int16Array[], rate: number, floor = 1_000): number {
  const step = rate / 100;
  let loud = 0;
  for (const chunk of chunks) {
    for (let offset = 0; offset + step <= chunk.length; offset += step) {
      let energy = 0;
      for (let i = offset; i < offset + step; i++) energy += chunk[i] * chunk[i];
      if (Math.sqrt(energy / step) > floor) loud += 10;
    }
  }
  return loud;
}

/** RMS of s16 samples. */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let energy = 0;
  for (const s of samples) energy += s * s;
  return Math.sqrt(energy / samples.length);
}

/** Polls `condition` every 10 ms; throws naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
