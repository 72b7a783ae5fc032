import assert from "node:assert/strict";
import {
  bytesToInt16,
  downmix,
  float32ToInt16,
  int16ToBytes,
  int16ToFloat32,
  peak,
  rms,
  toDbfs,
} from "../../../shared/audio/mod.ts";
import { sine } from "./signals.ts";

Deno.test("s16 → float → s16 is lossless, and −32768 maps to exactly −1", () => {
  const all = new Int16Array(65536).map((_, i) => i - 32768);
  const f = int16ToFloat32(all);
  assert.equal(f[0], -1);
  assert.deepEqual(float32ToInt16(f), all);
});

Deno.test("float → s16 rounds to nearest and clips out-of-range values", () => {
  assert.deepEqual(
    float32ToInt16(new Float32Array([0, 1, -1, 2, -2, 0.5 / 32768 + 1e-9, -0.4 / 32768])),
    new Int16Array([0, 32767, -32768, 32767, -32768, 1, 0]),
  );
});

Deno.test("conversions write into a given output array", () => {
  const out = new Float32Array(4);
  assert.equal(int16ToFloat32(new Int16Array([16384, -16384]), out), out);
  assert.deepEqual([...out], [0.5, -0.5, 0, 0]);
});

Deno.test("RMS and peak of a full-scale-half sine", () => {
  const s = sine(1000, 48000, 48000, 0.5);
  assert.ok(Math.abs(rms(s) - 0.5 / Math.SQRT2) < 1e-4);
  assert.ok(Math.abs(peak(s) - 0.5) < 1e-4);
  assert.ok(Math.abs(toDbfs(rms(s), 1) - -9.03) < 0.01);
  assert.equal(rms(new Int16Array(0)), 0);
  assert.equal(peak(new Int16Array([3, -200, 100])), 200);
  assert.equal(toDbfs(0, 32768), -Infinity);
});

Deno.test("aligned s16le bytes become samples without a copy; samples become bytes without a copy", () => {
  const buf = new Uint8Array([0x01, 0x00, 0xff, 0x7f, 0x00, 0x80, 0xff, 0xff]);
  const samples = bytesToInt16(buf);
  assert.deepEqual([...samples], [1, 32767, -32768, -1]);
  assert.equal(samples.buffer, buf.buffer, "same memory");
  samples[0] = 2;
  assert.equal(buf[0], 2);
  const bytes = int16ToBytes(samples);
  assert.equal(bytes.buffer, samples.buffer);
  assert.equal(bytes.byteLength, 8);
});

Deno.test("bytes at an odd offset are copied correctly; an odd byte count is an error", () => {
  const buf = new Uint8Array([9, 0x34, 0x12, 0xfe, 0xff]);
  const samples = bytesToInt16(buf.subarray(1));
  assert.deepEqual([...samples], [0x1234, -2]);
  assert.notEqual(samples.buffer, buf.buffer);
  assert.throws(() => bytesToInt16(new Uint8Array(3)), /even number of bytes, got 3/);
});

Deno.test("downmix averages interleaved channels", () => {
  assert.deepEqual([...downmix(new Float32Array([1, 0, 0.5, 0.5, -1, 1]), 2)], [0.5, 0.5, 0]);
  const mono = new Float32Array([1, 2]);
  assert.equal(downmix(mono, 1), mono);
});
