import assert from "node:assert/strict";
import { InterruptionJudge } from "../../../orchestrator/session/interruption_judge.ts";
import type { TimedVadEvent } from "../../../orchestrator/session/speech_input.ts";

const onsetAt = (streamMs: number): TimedVadEvent =>
  ({ type: "speech_start", streamMs, atMs: streamMs, detectedArrivalMs: streamMs + 100 }) as TimedVadEvent;

Deno.test("interruption judge: speech is measured from the onset that held the agent to now or to its end", () => {
  let now = 1_000;
  const judge = new InterruptionJudge(() => now);
  judge.held(onsetAt(1_000));
  now = 1_400;
  assert.equal(judge.speechMs(true), 400, "still speaking: up to now");
  judge.speechEnded(1_300);
  now = 2_000;
  assert.equal(judge.speechMs(false), 300, "after the end: up to the end");
  judge.speechEnded(900); // an end from before the onset is not this speech
  assert.equal(judge.speechMs(false), 1_000);
});

Deno.test("interruption judge: during an interruption only words that fit the speech claim the turn", () => {
  let now = 0;
  const judge = new InterruptionJudge(() => now);
  judge.held(onsetAt(0));
  now = 200;
  judge.speechEnded(200);
  const interrupted = { interrupted: true, userSpeaking: false };
  assert.equal(judge.wordsCount("Take care.", 0.9, interrupted), false, "too many letters for 200 ms");
  assert.equal(judge.wordsCount("Mm-hmm.", 0.9, interrupted), false, "a backchannel");
  assert.equal(judge.wordsCount("Stop!", 0.9, interrupted), true);
  assert.equal(judge.wordsCount("Stop!", 0.2, interrupted), false, "unsure of a short sound");
});

Deno.test("interruption judge: outside an interruption any real word counts, and a late final uses its own speech", () => {
  const judge = new InterruptionJudge(() => 0);
  const calm = { interrupted: false, userSpeaking: false };
  assert.equal(judge.wordsCount("Take care.", 0.1, calm), true, "a normal turn: any real words");
  assert.equal(judge.wordsCount("Hmm.", 0.9, calm), false);
  assert.equal(judge.wordsCount("Take care.", 0.9, calm, 200), false, "the final of a 200 ms interruption");
  assert.equal(judge.wordsCount("Take care.", 0.9, calm, 900), true);
});
