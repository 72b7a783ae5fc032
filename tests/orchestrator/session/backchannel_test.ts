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
