/** How text pieces become speech spans: sentence buffering, first-clause split, flush, idle timeout, order. */
import assert from "node:assert/strict";
import type { TextPiece } from "../../../workers/runtime/adapter.ts";
import { speechSpans } from "../../../workers/piper/speech_spans.ts";
import { scanClauses } from "../../../workers/piper/clause_scanner.ts";

/** Pieces with offsets, delivered with optional delays (ms) before each. */
async function* timed(parts: [string, number?, boolean?][]): AsyncGenerator<TextPiece> {
  let offset = 0;
  for (const [text, delay, flush] of parts) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    yield { text, start: offset, end: offset + text.length, ...(flush ? { flush } : {}) };
    offset += text.length;
  }
}

async function spansOf(parts: [string, number?, boolean?][], idleFlushMs = 5_000) {
  const out = [];
  const signal = new AbortController().signal;
  for await (const s of speechSpans(timed(parts), signal, { idleFlushMs, splitFirstClause: true })) out.push(s);
  return out;
}

Deno.test("streamed pieces become whole sentences; the first clause is released as soon as it is complete", async () => {
  const spans = await spansOf([["Although it was", 0], [" raining, we went out"], [". Then"], [" we ate."]]);
  assert.deepEqual(spans.map((s) => s.text), ["Although it was raining, ", "we went out. ", "Then we ate."]);
  assert.deepEqual(spans.map((s) => [s.start, s.end]), [[0, 25], [25, 38], [38, 50]]);
  const whole = await spansOf([["Although it was raining, we went out for a walk. Then we ate."]]);
  assert.deepEqual(whole.map((s) => s.text), ["Although it was raining, ", "we went out for a walk. ", "Then we ate."]);
});

Deno.test("a flush piece releases buffered text at once; spans without words are skipped", async () => {
  const spans = await spansOf([["Hello", 0, true], [" ... ", 0, true], ["world", 0]]);
  assert.deepEqual(spans.map((s) => s.text), ["Hello", "world"]);
});

Deno.test("buffered text is spoken after the idle timeout when no more text comes", async () => {
  const started = performance.now();
  const seen: [string, number][] = [];
  const signal = new AbortController().signal;
  const input = timed([["Half a sentence", 0], [" and the rest.", 400]]);
  for await (const s of speechSpans(input, signal, { idleFlushMs: 100, splitFirstClause: false })) {
    seen.push([s.text, performance.now() - started]);
  }
  assert.deepEqual(seen.map(([t]) => t), ["Half a sentence", " and the rest."]);
  assert.ok(seen[0][1] < 390, `the first half came at ${seen[0][1].toFixed(0)} ms, before the rest arrived`);
});

Deno.test("clause scanner gives Piper's terminators: sentence ends, commas, ellipses, abbreviations", () => {
  const marks = (t: string) =>
    scanClauses(t).map((c) => `${t.slice(c.start, c.end).trim()}|${c.terminator}|${c.endOfSentence}`);
  assert.deepEqual(marks("Hello world, this is a test. How are you?"), [
    "Hello world,|,|false",
    "this is a test.|.|true",
    "How are you?|?|true",
  ]);
  assert.deepEqual(marks("Wait... what?! Dr. Smith"), ["Wait...||false", "what?!|?|true", "Dr.|.|true", "Smith||true"]);
  assert.deepEqual(marks("The U.S., Canada; at 3 p.m., you — see"), [
    "The U.S.,|.|true",
    "Canada;|;|false",
    "at 3 p.m., you —|;|false",
    "see||true",
  ]);
});
