import assert from "node:assert/strict";
import type { VadEvent, VadOptions } from "../../../orchestrator/vad/contract.ts";
import { SpeechSegmenter, validateVadOptions } from "../../../orchestrator/vad/segmenter.ts";

const WINDOW_MS = 32;
const OPTIONS: VadOptions = { threshold: 0.5, minSpeechMs: 100, minSilenceMs: 300, speechPadMs: 30 };

/** Feeds one probability per 32 ms window and returns the events with the window index that produced them. */
function run(probabilities: number[], options = OPTIONS): Array<VadEvent & { window: number }> {
  const segmenter = new SpeechSegmenter(options);
  const events: Array<VadEvent & { window: number }> = [];
  probabilities.forEach((p, i) => {
    const event = segmenter.window(p, i * WINDOW_MS, (i + 1) * WINDOW_MS);
    if (event) events.push({ ...event, window: i });
  });
  return events;
}

const repeat = (p: number, n: number) => Array<number>(n).fill(p);

Deno.test("speech starts once min speech is reached, timed at the first speech window minus padding", () => {
  const events = run([...repeat(0, 10), ...repeat(0.9, 10)]);
  assert.equal(events.length, 1);
  assert.equal(events[0].type, "speech_start");
  assert.equal(events[0].streamMs, 10 * WINDOW_MS - 30);
  assert.equal(events[0].window, 13, "100 ms of speech takes four 32 ms windows");
});

Deno.test("a blip shorter than min speech followed by long silence starts nothing", () => {
  assert.deepEqual(run([...repeat(0, 5), 0.9, 0.9, ...repeat(0, 20)]), []);
});

Deno.test("short dips inside a word run do not lose the onset (the, then a stop closure, then quick)", () => {
  const events = run([...repeat(0, 5), 0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0.9]);
  assert.equal(events[0].type, "speech_start");
  assert.equal(events[0].streamMs, 5 * WINDOW_MS - 30);
});

Deno.test("speech ends after min silence, timed at the silence start plus padding", () => {
  const events = run([...repeat(0.9, 10), ...repeat(0.05, 20)]);
  assert.deepEqual(events.map((e) => e.type), ["speech_start", "speech_end"]);
  assert.equal(events[1].streamMs, 10 * WINDOW_MS + 30);
  // silence starts at window 10; 300 ms of it is complete at the end of window 19
  assert.equal(events[1].window, 19);
});

Deno.test("pauses shorter than min silence keep speech going", () => {
  const events = run([...repeat(0.9, 10), ...repeat(0.05, 8), ...repeat(0.9, 10)]);
  assert.deepEqual(events.map((e) => e.type), ["speech_start"]);
});

Deno.test("probabilities between the end threshold and the start threshold neither start nor end speech", () => {
  assert.deepEqual(run(repeat(0.4, 40)), []);
  const events = run([...repeat(0.9, 10), ...repeat(0.4, 40)]);
  assert.deepEqual(events.map((e) => e.type), ["speech_start"], "0.4 is above the end threshold 0.35");
});

Deno.test("a new start is never placed before the previous end, even with padding", () => {
  const options = { ...OPTIONS, minSilenceMs: 64, speechPadMs: 200 };
  const events = run([...repeat(0.9, 5), ...repeat(0.05, 2), ...repeat(0.9, 5)], options);
  assert.deepEqual(events.map((e) => e.type), ["speech_start", "speech_end", "speech_start"]);
  assert.ok(events[2].streamMs >= events[1].streamMs, JSON.stringify(events));
});

Deno.test("flush ends speech at the current time, and does nothing outside speech", () => {
  const segmenter = new SpeechSegmenter(OPTIONS);
  assert.equal(segmenter.flush(0), null);
  for (let i = 0; i < 10; i++) segmenter.window(0.9, i * WINDOW_MS, (i + 1) * WINDOW_MS);
  assert.ok(segmenter.speaking);
  assert.deepEqual(segmenter.flush(320), { type: "speech_end", streamMs: 320 });
  assert.equal(segmenter.speaking, false);
});

Deno.test("reset returns to silence", () => {
  const segmenter = new SpeechSegmenter(OPTIONS);
  for (let i = 0; i < 10; i++) segmenter.window(0.9, i * WINDOW_MS, (i + 1) * WINDOW_MS);
  segmenter.reset();
  assert.equal(segmenter.speaking, false);
  assert.equal(segmenter.flush(400), null);
});

Deno.test("bad options are refused with the option named", () => {
  assert.throws(() => validateVadOptions({ ...OPTIONS, threshold: 1.5 }), /threshold must be between 0 and 1.*1\.5/);
  assert.throws(() => validateVadOptions({ ...OPTIONS, threshold: NaN }), /threshold/);
  assert.throws(() => validateVadOptions({ ...OPTIONS, minSilenceMs: -1 }), /minSilenceMs.*-1/);
  assert.throws(() => new SpeechSegmenter({ ...OPTIONS, speechPadMs: Infinity }), /speechPadMs/);
});
