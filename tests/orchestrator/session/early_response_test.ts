/**
 * The answer prepared on a speculative final: started when the VAD first hears silence, kept back from the client,
 * adopted at the endpoint (its audio leaves at once), and dropped without a trace when speech comes back.
 */
import assert from "node:assert/strict";
import { EchoResponder } from "../../../orchestrator/responder/echo.ts";
import { LEVEL, SegmentedVadStream } from "./fakes.ts";
import { setup } from "./session_setup.ts";

function speculating(speculative = true) {
  const parts = setup({ speculative }, new EchoResponder(), () => new SegmentedVadStream({ minSilenceMs: 300 }));
  parts.asr.speculative = true;
  parts.asr.partials = false;
  return parts;
}

Deno.test("early response: prepared during the endpoint silence, unseen by the client, its audio leaves at the endpoint", async () => {
  const { clock, output, router, session, audio, asr, metrics } = speculating();
  await audio(LEVEL.words, 600);
  await audio(LEVEL.silence, 100);
  assert.equal(asr.speculations, 0, "the final waits for the tail of the last word");
  await audio(LEVEL.silence, 60);
  assert.equal(session.machine.state, "user_speaking", "the endpoint is not decided yet");
  assert.equal(asr.speculations, 1);
  assert.equal(router.streams.length, 1, "the answer is being synthesized already");
  assert.equal(output.frames.length, 0, "and none of it has left");
  assert.deepEqual(output.events.filter((e) => e.type.startsWith("response.")), [], "nor any response event");
  await audio(LEVEL.silence, 160); // the endpoint
  const stoppedAt = output.ofType("speech.stopped")[0];
  assert.ok(stoppedAt, "speech ended");
  const types = output.events.map((e) => e.type).filter((t) => t.startsWith("response.") || t === "transcript.final");
  assert.deepEqual(types.slice(0, 3), ["transcript.final", "response.started", "response.text"]);
  assert.ok(output.frames.length > 0, "audio left at the endpoint");
  const figures = output.ofType("metrics")[0].metrics;
  assert.ok(figures.voice_to_voice_ms !== undefined && figures.endpoint_ms !== undefined);
  assert.ok(
    figures.voice_to_voice_ms - figures.endpoint_ms <= 20,
    `first frame ${figures.voice_to_voice_ms - figures.endpoint_ms} ms after the endpoint`,
  );
  await clock.advance(2_000);
  assert.equal(output.ofType("response.started").length, 1, "answered once");
  assert.equal(output.ofType("response.done").length, 1);
  assert.equal(output.ofType("response.done")[0].text, "hello there");
  assert.equal(metrics.turnsTotal.get(), 1);
  session.end("client_end");
});

Deno.test("early response: speech coming back drops the prepared answer; the whole turn is answered once", async () => {
  const { clock, output, router, session, audio, asr } = speculating();
  await audio(LEVEL.words, 600);
  await audio(LEVEL.silence, 160);
  assert.equal(router.streams.length, 1);
  await audio(LEVEL.words, 400); // the user goes on
  assert.equal(asr.retractions, 1);
  assert.equal(router.streams[0].stopped, true, "the prepared answer is stopped");
  await audio(LEVEL.silence, 400);
  await clock.advance(2_000);
  assert.equal(output.ofType("response.started").length, 1, "answered once");
  assert.equal(output.ofType("response.done").length, 1);
  assert.equal(router.streams.length, 2, "prepared again in the second silence, and adopted");
  assert.equal(router.streams[1].stopped, false);
  assert.ok(
    output.ofType("response.text").every((e) => e.responseId === output.ofType("response.started")[0].responseId),
  );
  session.end("client_end");
});

Deno.test("early response off: nothing is synthesized before the endpoint", async () => {
  const { router, session, audio, asr } = speculating(false);
  await audio(LEVEL.words, 600);
  await audio(LEVEL.silence, 160);
  assert.equal(asr.speculations, 0);
  assert.equal(router.streams.length, 0);
  await audio(LEVEL.silence, 240);
  assert.equal(router.streams.length, 1);
  session.end("client_end");
});
