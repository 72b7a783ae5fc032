/**
 * The frame numbering a response checks is the worker's own (the router only adds a per-call offset): a number
 * missing from the worker's sequence shows as a gap in `response.done.seqGaps`, and an intact sequence shows none.
 */
import assert from "node:assert/strict";
import { LONG, LONG_FRAMES, seqs, setup } from "./session_setup.ts";

Deno.test("session: a frame number missing from the worker's sequence shows in response.done.seqGaps", async () => {
  const { clock, output, router, session } = setup();
  session.text(LONG);
  router.streams[0].skipNumbers.add(7);
  await clock.advance(3_000);
  const done = output.ofType("response.done")[0];
  assert.equal(done.frames, LONG_FRAMES, "every frame still arrived");
  assert.deepEqual(seqs(output), Array.from({ length: LONG_FRAMES }, (_, i) => i + 1));
  assert.equal(done.seqGaps, 1);
  session.end("client_end");
});

Deno.test("session: an intact worker sequence shows no gap", async () => {
  const { clock, output, session } = setup();
  session.text(LONG);
  await clock.advance(3_000);
  assert.equal(output.ofType("response.done")[0].seqGaps, 0);
  session.end("client_end");
});
