import assert from "node:assert/strict";
import { FRAME_BYTES } from "../../../shared/audio/format.ts";
import { FrameCutter } from "../../../workers/runtime/frame_cutter.ts";

const chunk = (samples: number, textStart: number, textEnd: number, value = 0x0102) => ({
  pcm: new Int16Array(samples).fill(value),
  textStart,
  textEnd,
});

Deno.test("frames are exact s16le 20 ms frames carrying the text span of the samples in them", () => {
  const cutter = new FrameCutter();
  const first = cutter.push(chunk(1000, 0, 5));
  assert.equal(first.length, 1);
  assert.deepEqual([first[0].textStart, first[0].textEnd], [0, 5]);
  assert.equal(first[0].bytes.length, FRAME_BYTES);
  assert.deepEqual([...first[0].bytes.subarray(0, 2)], [0x02, 0x01], "little-endian");

  const second = cutter.push(chunk(1500, 5, 10));
  assert.equal(second.length, 1);
  assert.deepEqual([second[0].textStart, second[0].textEnd], [0, 10], "starts with the held samples of text 0..5");

  assert.deepEqual(cutter.push(chunk(100, 10, 12)), []);
  assert.deepEqual(cutter.push(chunk(0, 12, 13)), [], "an empty chunk only moves the text end");
  const tail = cutter.flush()!;
  assert.deepEqual([tail.textStart, tail.textEnd], [5, 13]);
  assert.equal(tail.bytes.length, FRAME_BYTES);
  const samples = new Int16Array(tail.bytes.buffer, tail.bytes.byteOffset, tail.bytes.length / 2);
  assert.ok(samples.subarray(0, 680).every((s) => s === 0x0102));
  assert.ok(samples.subarray(680).every((s) => s === 0), "zero padding");
  assert.equal(cutter.flush(), null);
});

Deno.test("audio ending on a frame boundary leaves no tail", () => {
  const cutter = new FrameCutter();
  const frames = cutter.push(chunk(1920, 0, 3));
  assert.equal(frames.length, 2);
  assert.deepEqual(frames.map((f) => [f.textStart, f.textEnd]), [[0, 3], [0, 3]]);
  assert.equal(cutter.flush(), null);
  assert.equal(cutter.textEnd, 3);
});
