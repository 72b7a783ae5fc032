import assert from "node:assert/strict";
import { FramePacer, type SendTiming } from "../../../orchestrator/session/pacer.ts";
import { FakeClock } from "./fakes.ts";

function makePacer(leadMs: number) {
  const clock = new FakeClock();
  const sent: Array<{ frame: number; atMs: number; timing: SendTiming }> = [];
  const pacer = new FramePacer<number>({
    clock,
    leadMs,
    frameMs: 20,
    send: () => true,
    onSent: (frame, timing) => sent.push({ frame, atMs: clock.now(), timing }),
  });
  return { clock, pacer, sent, t0: clock.now() };
}

Deno.test("pacer: sends the lead at once, then one frame every 20 ms on an absolute schedule", async () => {
  const { clock, pacer, sent, t0 } = makePacer(40);
  for (let i = 0; i < 10; i++) pacer.enqueue(i);
  assert.deepEqual(sent.map((s) => s.frame), [0, 1, 2]); // slots t0-40, t0-20, t0 are all due now
  await clock.advance(20);
  assert.deepEqual(sent.map((s) => s.frame), [0, 1, 2, 3]);
  await clock.advance(140);
  assert.equal(sent.length, 10);
  // Frame k leaves at t0 + 20k - 40 (never before t0).
  sent.forEach((s, k) => assert.equal(s.atMs, Math.max(t0, t0 + 20 * k - 40), `frame ${k}`));
  assert.deepEqual(sent.slice(3).map((s) => s.timing.jitterMs), [0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(sent.slice(0, 3).map((s) => s.timing.jitterMs), [undefined, undefined, undefined]);
});

Deno.test("pacer: a late timer is reported as jitter and does not shift later frames (no drift)", async () => {
  const { clock, pacer, sent, t0 } = makePacer(0);
  for (let i = 0; i < 5; i++) pacer.enqueue(i);
  // The event loop stalls 50 ms: frames due at +20 and +40 go out late, together.
  clock.jump(50);
  await clock.advance(0);
  assert.deepEqual(sent.map((s) => s.frame), [0, 1, 2]);
  assert.deepEqual(sent.slice(1).map((s) => s.timing.jitterMs), [30, 10]);
  await clock.advance(30);
  assert.deepEqual(sent.map((s) => s.atMs - t0), [0, 50, 50, 60, 80]);
});

Deno.test("pacer: hold stops sending at once and release continues with the next unsent frame", async () => {
  const { clock, pacer, sent } = makePacer(0);
  for (let i = 0; i < 10; i++) pacer.enqueue(i);
  await clock.advance(40);
  assert.equal(sent.length, 3);
  pacer.hold();
  await clock.advance(500);
  assert.equal(sent.length, 3, "nothing leaves while held");
  assert.equal(pacer.queued, 7);
  pacer.enqueue(10); // frames keep arriving while held
  pacer.release();
  await clock.advance(200);
  assert.deepEqual(sent.map((s) => s.frame), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("pacer: a frame that arrives after its slot starts a new run and counts an underrun past the lead", async () => {
  const { clock, pacer, sent } = makePacer(20);
  pacer.enqueue(0);
  pacer.enqueue(1);
  await clock.advance(100); // the worker is slow: nothing queued for 100 ms
  const resumedAt = clock.now();
  pacer.enqueue(2);
  assert.equal(sent.length, 3, "the late frame goes out at once");
  assert.equal(sent[2].timing.jitterMs, undefined, "and is not counted as jitter");
  assert.equal(pacer.underruns, 1);
  pacer.enqueue(3);
  pacer.enqueue(4);
  assert.equal(sent.length, 4, "the new run sends its lead at once");
  await clock.advance(20);
  assert.deepEqual(sent.slice(2).map((s) => s.atMs - resumedAt), [0, 0, 20]);
});

Deno.test("pacer: a frame slightly after its slot (within the lead) keeps the schedule", async () => {
  const { clock, pacer, sent, t0 } = makePacer(40);
  for (let i = 0; i < 3; i++) pacer.enqueue(i); // slots t0-40, t0-20, t0
  await clock.advance(25); // frame 3's slot (t0+20) passed with nothing queued
  pacer.enqueue(3);
  pacer.enqueue(4);
  await clock.advance(20);
  assert.deepEqual(sent.map((s) => s.atMs - t0), [0, 0, 0, 25, 40]);
  assert.equal(sent[3].timing.jitterMs, undefined);
  assert.equal(sent[4].timing.jitterMs, 0);
  assert.equal(pacer.underruns, 0);
});

Deno.test("pacer: clear drops queued frames, returns them and keeps a hold", async () => {
  const { clock, pacer, sent } = makePacer(0);
  for (let i = 0; i < 5; i++) pacer.enqueue(i);
  pacer.hold();
  assert.deepEqual(pacer.clear(), [1, 2, 3, 4]);
  assert.equal(pacer.held, true);
  pacer.release();
  pacer.enqueue(99);
  await clock.advance(10);
  assert.deepEqual(sent.map((s) => s.frame), [0, 99]);
});

Deno.test("pacer: waitForSpace resolves only once the queue is below the bound", async () => {
  const { clock, pacer } = makePacer(0);
  for (let i = 0; i < 4; i++) pacer.enqueue(i);
  let resolved = false;
  pacer.waitForSpace(2).then(() => resolved = true);
  await clock.advance(20);
  assert.equal(resolved, false, "2 still queued");
  await clock.advance(20);
  assert.equal(resolved, true);
});

Deno.test("pacer: dispose stops the timer so nothing is sent afterwards", async () => {
  const { clock, pacer, sent } = makePacer(0);
  for (let i = 0; i < 5; i++) pacer.enqueue(i);
  pacer.dispose();
  await clock.advance(200);
  assert.equal(sent.length, 1);
});
