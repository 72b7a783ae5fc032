import assert from "node:assert/strict";
import { StreamingResampler } from "../../../shared/audio/mod.ts";
import { concat, randomChunkSizes, seededRandom, sine, snrDb } from "./signals.ts";

const RATIOS: [number, number][] = [
  [22050, 48000],
  [24000, 48000],
  [48000, 16000],
  [44100, 16000],
  [16000, 48000],
  [44100, 48000],
  [48000, 48000],
];

const f32 = (n: number) => new Float32Array(n);
const i16 = (n: number) => new Int16Array(n);

/** Whole-stream output: one process call, then flush. */
function oneShot(inRate: number, outRate: number, x: Float32Array): Float32Array {
  const r = new StreamingResampler(inRate, outRate);
  return concat([r.process(x), r.flush()], f32);
}

/** The same stream fed in the given chunk sizes. */
function chunked(inRate: number, outRate: number, x: Float32Array, sizes: number[]): Float32Array {
  const r = new StreamingResampler(inRate, outRate);
  const parts: Float32Array[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(r.process(x.subarray(at, at + size)));
    at += size;
  }
  parts.push(r.flush());
  return concat(parts, f32);
}

for (const [inRate, outRate] of RATIOS) {
  Deno.test(`${inRate}→${outRate}: a resampled sine matches the ideal sine at the output rate with SNR ≥ 60 dB`, () => {
    const nyquist = Math.min(inRate, outRate) / 2;
    for (const freq of [100, 440, 1000, 3000, Math.round(0.8 * nyquist)]) {
      const seconds = 0.5;
      const y = oneShot(inRate, outRate, sine(freq, inRate, inRate * seconds));
      assert.equal(y.length, Math.ceil(inRate * seconds * outRate / inRate));
      const edge = Math.ceil(outRate * 0.01); // the stream's start and end see silence around them
      const snr = snrDb(y, (n) => 0.5 * Math.sin((2 * Math.PI * freq * n) / outRate), edge, y.length - edge);
      assert.ok(snr >= 60, `${freq} Hz: SNR ${snr.toFixed(1)} dB`);
    }
  });

  Deno.test(`${inRate}→${outRate}: chunked output equals one-shot output bit for bit (float and int16)`, () => {
    const random = seededRandom(inRate + outRate);
    const x = new Float32Array(Math.floor(inRate * 0.3));
    for (let n = 0; n < x.length; n++) x[n] = 0.6 * Math.sin(n * 0.07) + 0.3 * (random() * 2 - 1);
    const whole = oneShot(inRate, outRate, x);
    for (let trial = 0; trial < 3; trial++) {
      const sizes = randomChunkSizes(x.length, random);
      assert.deepEqual(chunked(inRate, outRate, x, sizes), whole, `chunk sizes ${sizes.slice(0, 20).join(",")}…`);
    }
    const ones = chunked(inRate, outRate, x.subarray(0, 2000), new Array(2000).fill(1));
    assert.deepEqual(ones, oneShot(inRate, outRate, x.subarray(0, 2000)));

    const xi = Int16Array.from(x, (v) => Math.round(v * 32767));
    const a = new StreamingResampler(inRate, outRate);
    const wholeInt = concat([a.processInt16(xi), a.flushInt16()], i16);
    const b = new StreamingResampler(inRate, outRate);
    const parts: Int16Array[] = [];
    let at = 0;
    for (const size of randomChunkSizes(xi.length, random)) {
      parts.push(b.processInt16(xi.subarray(at, at + size)));
      at += size;
    }
    parts.push(b.flushInt16());
    assert.deepEqual(concat(parts, i16), wholeInt);
  });
}

Deno.test("no click at chunk boundaries: sample-to-sample steps never exceed the sine's own slope", () => {
  const [inRate, outRate, freq] = [22050, 48000, 1000];
  const x = sine(freq, inRate, inRate);
  const y = chunked(inRate, outRate, x, randomChunkSizes(x.length, seededRandom(7)));
  const maxStep = 0.5 * 2 * Math.sin((Math.PI * freq) / outRate); // largest |Δ| of the ideal sampled sine
  const edge = Math.ceil(outRate * 0.01);
  for (let n = edge; n < y.length - edge; n++) {
    assert.ok(Math.abs(y[n] - y[n - 1]) <= maxStep * 1.001, `step of ${Math.abs(y[n] - y[n - 1])} at ${n}`);
  }
});

Deno.test("output is aligned with input: an impulse comes out at the same time, despite the held-back latency", () => {
  for (const [inRate, outRate] of RATIOS) {
    const x = new Float32Array(4000);
    x[1000] = 1;
    const r = new StreamingResampler(inRate, outRate);
    const early = r.process(x.subarray(0, 1000 + r.latencyInputSamples));
    const y = concat([early, r.process(x.subarray(1000 + r.latencyInputSamples)), r.flush()], f32);
    let at = 0;
    for (let n = 1; n < y.length; n++) if (Math.abs(y[n]) > Math.abs(y[at])) at = n;
    assert.ok(Math.abs(at - (1000 * outRate) / inRate) <= 1, `${inRate}→${outRate}: peak at ${at}`);
    assert.ok(r.latencySeconds < 0.01, `${inRate}→${outRate}: latency ${r.latencySeconds} s`);
  }
});

Deno.test("the latency is held back until more input or flush arrives", () => {
  const r = new StreamingResampler(24000, 48000);
  assert.equal(r.process(new Float32Array(r.latencyInputSamples)).length, 0);
  assert.equal(r.process(new Float32Array(1)).length, 2);
  assert.equal(r.flush().length, 2 * r.latencyInputSamples);
});

Deno.test("after flush the resampler starts a new stream identical to a fresh one", () => {
  const x = sine(440, 44100, 5000);
  const r = new StreamingResampler(44100, 16000);
  r.process(sine(1000, 44100, 777));
  r.flush();
  assert.deepEqual(concat([r.process(x), r.flush()], f32), oneShot(44100, 16000, x));
});

Deno.test("int16 output is rounded and clipped to the s16 range", () => {
  const r = new StreamingResampler(24000, 48000);
  const loud = new Int16Array(2000).map((_, n) => (n % 2 === 0 ? 32767 : -32768));
  const y = concat([r.processInt16(loud), r.flushInt16()], i16);
  assert.ok(y.every((v) => Number.isInteger(v) && v >= -32768 && v <= 32767));
});

Deno.test("bad rates and impractical ratios are refused with a clear error", () => {
  assert.throws(() => new StreamingResampler(0, 48000), /positive whole numbers/);
  assert.throws(() => new StreamingResampler(22050.5, 48000), /positive whole numbers/);
  assert.throws(() => new StreamingResampler(44099, 48000), /resample through a common rate/);
});
