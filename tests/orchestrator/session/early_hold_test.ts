/**
 * The agent pauses at the first window the VAD rates speech (its onset), not at the VAD's decision 100 ms later; a
 * sound the VAD then drops (a click) lets the answer go on from the next unsent frame, unchanged.
 */
import assert from "node:assert/strict";
import { EchoResponder } from "../../../orchestrator/responder/echo.ts";
import { chunk16k, LEVEL, SegmentedVadStream } from "./fakes.ts";
import { LONG, LONG_FRAMES, seqs, setup } from "./session_setup.ts";

const segmented = (earlyHold = true) =>
  setup({ earlyHold }, new EchoResponder(), () => new SegmentedVadStream({ minSpeechMs: 100 }));

Deno.test("early hold: no agent frame leaves after the interruption's first speech window; both barge-in figures", async () => {
  const { clock, output, session, audio, metrics } = segmented();
  session.text(LONG);
  await clock.advance(300);
  assert.equal(session.machine.state, "speaking");
  const onsetAt = clock.now();
  session.audio({ samples: chunk16k(LEVEL.words), sampleRate: 16_000 });
  await clock.advance(0);
  assert.equal(session.machine.state, "speaking", "the VAD has not decided yet");
  const sent = output.frames.length;
  await clock.advance(20);
  assert.equal(output.frames.length, sent, "held at the first speech window");
  await audio(LEVEL.words, 600);
  assert.equal(output.ofType("speech.started").length, 1);
  assert.equal(output.ofType("response.interrupted")[0]?.reason, "barge_in");
  assert.equal(output.frames.filter((f) => f.atMs > onsetAt).length, 0, "no agent frame after the onset");
  const figures = output.ofType("metrics").at(-1)!.metrics;
  assert.equal(figures.barge_in_ms, 0, "held before the VAD decided");
  assert.ok(figures.barge_in_onset_ms !== undefined && figures.barge_in_onset_ms <= 20, JSON.stringify(figures));
  assert.equal(metrics.bargeInOnset.count(), 1);
  session.end("client_end");
});

Deno.test("early hold: a click the VAD drops pauses the agent briefly, then every frame plays once, in order", async () => {
  const { clock, output, session, audio, router } = segmented();
  session.text(LONG);
  await clock.advance(300);
  await audio(LEVEL.words, 40); // two windows of speech: less than the 100 ms the VAD needs
  const held = output.frames.length;
  await audio(LEVEL.silence, 200);
  assert.equal(output.frames.length, held, "paused while the candidate is open");
  await audio(LEVEL.silence, 200); // 300 ms of silence drop the candidate
  assert.ok(output.frames.length > held, "resumed");
  await clock.advance(3_000);
  assert.deepEqual(seqs(output), Array.from({ length: LONG_FRAMES }, (_, i) => i + 1), "every frame once, in order");
  assert.equal(output.ofType("speech.started").length, 0);
  assert.equal(output.ofType("response.interrupted").length, 0);
  assert.equal(output.ofType("response.done").length, 1);
  assert.equal(router.streams[0].stopped, false);
  session.end("client_end");
});

Deno.test("early hold off: the agent goes on until the VAD decides", async () => {
  const { clock, output, session, audio } = segmented(false);
  session.text(LONG);
  await clock.advance(300);
  const sent = output.frames.length;
  await audio(LEVEL.words, 60);
  assert.ok(output.frames.length > sent, "frames kept leaving during the first 60 ms of speech");
  await audio(LEVEL.words, 600);
  assert.equal(output.ofType("response.interrupted").length, 1);
  session.end("client_end");
});
