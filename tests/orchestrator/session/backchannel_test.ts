import assert from "node:assert/strict";
import { claimsTurn, hasRealWords } from "../../../orchestrator/session/backchannel.ts";

Deno.test("backchannel: fillers, tags and punctuation are not words", () => {
  for (const text of ["", "  ", "Hmm.", "Mm-hmm!", "uh, um...", "[cough]", "(clears throat)", "*sigh* hm", "Oh. Ah."]) {
    assert.equal(hasRealWords(text), false, JSON.stringify(text));
  }
});

Deno.test("backchannel: any other word counts, in any language", () => {
  for (const text of ["stop", "Hmm, wait.", "no", "okay", "ja", "arrête", "2"]) {
    assert.equal(hasRealWords(text), true, JSON.stringify(text));
  }
});

Deno.test("backchannel: words count only when they fit in the time the user spoke", () => {
  assert.equal(claimsTurn("Take care.", 220), false, "8 letters from a 220 ms hum: invented");
  assert.equal(claimsTurn("Stop!", 300), true);
  assert.equal(claimsTurn("No.", 150), true, "a clipped short word still counts");
  assert.equal(claimsTurn("Stop please, I have a question.", 1_980), true);
  assert.equal(claimsTurn("Mm-hmm.", 2_000), false, "a filler never claims the turn");
});

Deno.test("backchannel: a short transcript the recognizer is unsure of does not claim the turn", () => {
  const cases: Array<[text: string, speechMs: number, confidence: number | undefined, claims: boolean]> = [
    ["It's", 490, 0.21, false], // Whisper's invention for a 150 ms noise burst
    ["Stop!", 300, 0.39, false],
    ["Stop!", 300, 0.4, true],
    ["Stop!", 300, 0.85, true],
    ["Stop!", 300, undefined, true], // confidence unknown: only the other rules apply
    ["Stop please, I have a question.", 1_980, 0.3, true], // long speech is rarely invented
    ["It's", 999, 0.21, false],
    ["It's", 1_000, 0.21, true],
    ["Take care.", 220, 0.95, false], // sure, but far too long for the sound: still invented
    ["Mm-hmm.", 2_000, 0.99, false],
  ];
  for (const [text, speechMs, confidence, claims] of cases) {
    assert.equal(claimsTurn(text, speechMs, confidence), claims, JSON.stringify({ text, speechMs, confidence }));
  }
});
