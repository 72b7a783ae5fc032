import assert from "node:assert/strict";
import { FRAME_BYTES, FRAME_SAMPLES, FramePacketizer } from "../../../shared/audio/mod.ts";
import { concat, randomChunkSizes, seededRandom } from "./signals.ts";

Deno.test("any chunking yields exact 960-sample frames carrying the input in order", () => {
  const random = seededRandom(42);
  const input = new Int16Array(50_000).map((_, i) => (i * 7) % 30000);
  const p = new FramePacketizer();
  const frames: Int16Array[] = [];
  let at = 0;
  for (const size of randomChunkSizes(input.length, random)) {
    frames.push(...p.push(input.subarray(at, at + size)));
    at += size;
    assert.equal(p.pending, at % FRAME_SAMPLES);
  }
  assert.equal(frames.length, Math.floor(input.length / FRAME_SAMPLES));
  assert.ok(frames.every((f) => f.length === FRAME_SAMPLES));
  const tail = p.flushPadded()!;
  assert.equal(tail.length, FRAME_SAMPLES);
  const all = concat([...frames, tail], (n) => new Int16Array(n));
  assert.deepEqual(all.subarray(0, input.length), input);
  assert.ok(all.subarray(input.length).every((v) => v === 0), "the tail is zero-padded");
  assert.equal(p.pending, 0);
  assert.equal(p.flushPadded(), undefined);
});

Deno.test("a frame is returned the moment its last sample arrives", () => {
  const p = new FramePacketizer();
  assert.equal(p.push(new Int16Array(959)).length, 0);
  assert.equal(p.push(new Int16Array(1)).length, 1);
  assert.equal(p.push(new Int16Array(3 * 960 + 5)).length, 3);
  assert.equal(p.pending, 5);
});

Deno.test("frames do not alias each other or the input", () => {
  const p = new FramePacketizer(4);
  const input = new Int16Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const [a, b] = p.push(input);
  input.fill(0);
  assert.deepEqual([...a, ...b], [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("byte frames are exactly 1920 bytes of s16le", () => {
  const p = new FramePacketizer();
  const frames = p.pushBytes(new Int16Array(FRAME_SAMPLES * 2).fill(-2));
  assert.equal(frames.length, 2);
  for (const f of frames) {
    assert.equal(f.byteLength, FRAME_BYTES);
    assert.deepEqual([...f.subarray(0, 2)], [0xfe, 0xff]);
  }
});

Deno.test("reset drops held samples; a bad frame size is refused", () => {
  const p = new FramePacketizer(10);
  p.push(new Int16Array([5, 5, 5]));
  p.reset();
  assert.equal(p.pending, 0);
  assert.equal(p.flushPadded(), undefined);
  p.push(new Int16Array([1]));
  assert.deepEqual([...p.flushPadded()!], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => new FramePacketizer(0), /positive whole number/);
});
