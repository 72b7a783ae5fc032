import assert from "node:assert/strict";
import { HeardTextTracker } from "../../../orchestrator/session/heard_text.ts";

const text = "Hello there. How are you today? Fine thanks. ";
const s1 = [0, 12] as const; // "Hello there."
const s2 = [13, 31] as const; // "How are you today?"
const s3 = [32, 44] as const; // "Fine thanks."

function tracker(framesPerSpan: number[], spans = [s1, s2, s3]): HeardTextTracker {
  const t = new HeardTextTracker();
  spans.forEach((span, i) => {
    for (let f = 0; f < framesPerSpan[i]; f++) t.received(span[0], span[1]);
  });
  return t;
}

Deno.test("heard text: nothing sent means nothing heard", () => {
  assert.equal(tracker([3, 3, 3]).heardText(text), "");
});

Deno.test("heard text: spans whose every frame was sent are heard in full", () => {
  const t = tracker([3, 4, 2]);
  for (let i = 0; i < 3; i++) t.sent(...s1);
  for (let i = 0; i < 4; i++) t.sent(...s2);
  assert.equal(t.heardText(text), "Hello there. How are you today?");
});

Deno.test("heard text: a span cut short counts up to the word boundary at the fraction sent", () => {
  const t = tracker([2, 10, 2]); // three spans: the second is closed, its length in frames known
  t.sent(...s1);
  t.sent(...s1);
  for (let i = 0; i < 5; i++) t.sent(...s2); // half of "How are you today?"
  assert.equal(t.heardText(text), "Hello there. How are");
});

Deno.test("heard text: the last span counts in full only once the stream is complete", () => {
  const t = tracker([2], [s1]);
  t.sent(...s1);
  t.sent(...s1);
  assert.equal(t.heardText(text), "", "2 frames of a 12-character sentence still being made: not yet a word");
  t.markComplete();
  assert.equal(t.heardText(text), "Hello there.");
});

Deno.test("heard text: a long span still being synthesized is not heard in full just because its frames so far went out", () => {
  // The worker was fast on "Hello there." (36 frames for 12 characters = 3 per character) and is half-way through
  // the next span when the user interrupts: every frame received so far was sent.
  const t = tracker([36, 27], [s1, s2]);
  for (let i = 0; i < 36; i++) t.sent(...s1);
  for (let i = 0; i < 27; i++) t.sent(...s2);
  assert.equal(t.heardText(text), "Hello there. How are", "27 of an estimated 54 frames: half, cut at a word");
});

Deno.test("heard text: a frame sent for an unknown span is ignored", () => {
  const t = tracker([1], [s1]);
  t.sent(99, 120);
  assert.equal(t.heardText(text), "");
});
