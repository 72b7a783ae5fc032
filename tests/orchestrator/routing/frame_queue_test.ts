import assert from "node:assert/strict";
import {
  FrameQueue,
  HIGH_WATER_FRAMES,
  LOW_WATER_FRAMES,
  type QueuedFrame,
} from "../../../orchestrator/routing/frame_queue.ts";

const frame = (textStart: number, isFinal = false): QueuedFrame => ({
  pcm: new Uint8Array(1920),
  seq: textStart + 1,
  textStart,
  textEnd: textStart + 1,
  isFinal,
  worker: "w",
});

function recordingQueue() {
  const calls: string[] = [];
  const queue = new FrameQueue({ hold: () => calls.push("hold"), release: () => calls.push("release") });
  return { queue, calls };
}

Deno.test("frame queue: the producer is held at the high-water mark and let go at the low-water mark", () => {
  const { queue, calls } = recordingQueue();
  for (let i = 0; i < HIGH_WATER_FRAMES - 1; i++) queue.push(frame(i));
  assert.deepEqual(calls, [], "below the mark nothing is held");
  queue.push(frame(HIGH_WATER_FRAMES));
  queue.push(frame(HIGH_WATER_FRAMES + 1));
  assert.deepEqual(calls, ["hold"], "held once, not per frame");
  assert.equal(queue.held, true);
  while (queue.length > LOW_WATER_FRAMES + 1) queue.shift();
  assert.deepEqual(calls, ["hold"], "still held above the low-water mark");
  queue.shift();
  assert.deepEqual(calls, ["hold", "release"]);
  assert.equal(queue.held, false);
});

Deno.test("frame queue: frames leave in order and a final frame never holds the producer", () => {
  const { queue, calls } = recordingQueue();
  for (let i = 0; i < HIGH_WATER_FRAMES - 1; i++) queue.push(frame(i));
  queue.push(frame(999, true));
  assert.deepEqual(calls, []);
  const starts: number[] = [];
  for (let f = queue.shift(); f; f = queue.shift()) starts.push(f.textStart);
  assert.deepEqual(starts, [...Array.from({ length: HIGH_WATER_FRAMES - 1 }, (_, i) => i), 999]);
});

Deno.test("frame queue: retain keeps what the predicate accepts and a new producer starts unheld", () => {
  const { queue } = recordingQueue();
  for (let i = 0; i < HIGH_WATER_FRAMES; i++) queue.push(frame(i));
  assert.equal(queue.held, true);
  queue.retain((f) => f.textStart < 3);
  assert.equal(queue.held, false);
  assert.deepEqual([queue.shift(), queue.shift(), queue.shift()].map((f) => f?.textStart), [0, 1, 2]);
  assert.equal(queue.shift(), undefined);
});

Deno.test("frame queue: a waiting consumer wakes at the next frame or notify", async () => {
  const { queue } = recordingQueue();
  const woken = queue.next();
  queue.push(frame(0));
  await woken;
  const again = queue.next();
  queue.notify();
  await again;
  queue.clear();
  assert.equal(queue.length, 0);
});
