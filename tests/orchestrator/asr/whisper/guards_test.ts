import assert from "node:assert/strict";
import { DEFAULT_GUARDS, isSilence, repetitionCut, tokenBudget } from "../../../../orchestrator/asr/whisper/guards.ts";

Deno.test("a block repeated four times in a row is cut back to its first copy", () => {
  const loop = [7, 8, 9];
  const tokens = [1, 2, ...loop, ...loop, ...loop, ...loop];
  assert.equal(repetitionCut(tokens, DEFAULT_GUARDS), 5);
  assert.equal(repetitionCut([1, 2, ...loop, ...loop, ...loop], DEFAULT_GUARDS), undefined, "three copies can be real");
});

Deno.test("a single repeated token needs eight copies before it counts as a loop", () => {
  assert.equal(repetitionCut([5, 6, 6, 6, 6, 6], DEFAULT_GUARDS), undefined);
  assert.equal(repetitionCut([5, ...Array(8).fill(6)], DEFAULT_GUARDS), 2);
});

Deno.test("normal speech never reaches the token budget; silence-like windows are dropped as faster-whisper does", () => {
  assert.equal(tokenBudget(5, DEFAULT_GUARDS, 448), 70);
  assert.equal(tokenBudget(30, DEFAULT_GUARDS, 224), 224);
  assert.equal(isSilence(0.9, -1.5, DEFAULT_GUARDS), true);
  assert.equal(isSilence(0.9, -1.0, DEFAULT_GUARDS), true, "faster-whisper keeps only avg_logprob > -1");
  assert.equal(isSilence(0.9, -0.3, DEFAULT_GUARDS), false, "confident text is kept despite no-speech");
  assert.equal(isSilence(0.2, -2, DEFAULT_GUARDS), false);
});
