/**
 * Session behaviour with fakes for VAD, ASR and TTS and a manual clock, so turn-taking and barge-in are checked
 * deterministically (the real components are exercised in tests/orchestrator/e2e_ws/).
 */
import assert from "node:assert/strict";
import type { Responder } from "../../../orchestrator/responder/contract.ts";
import { chunk16k, LEVEL } from "./fakes.ts";
import { LONG, LONG_FRAMES, seqs, setup } from "./session_setup.ts";

Deno.test("session: speech, silence → final transcript → echo answer paced at 20 ms → done", async () => {
  const { clock, output, session, audio } = setup();
  await audio(LEVEL.words, 400);
  await audio(LEVEL.silence, 40);
  await clock.advance(1_000);
  assert.ok(output.ofType("transcript.partial").length > 0, "partials while speaking");
  const types = output.events.filter((e) => e.type !== "state" && e.type !== "transcript.partial").map((e) => e.type);
  assert.deepEqual(types, [
    "speech.started",
    "speech.stopped",
    "transcript.final",
    "response.started",
    "response.text",
    "metrics",
    "response.done",
  ]);
  assert.equal(output.ofType("transcript.final")[0].text, "hello there");
  assert.deepEqual(output.ofType("state").map((e) => e.state), ["user_speaking", "thinking", "speaking", "listening"]);
  assert.deepEqual(seqs(output), Array.from({ length: 12 }, (_, i) => i + 1));
  const gaps = output.frames.slice(3).map((f, i) => f.atMs - output.frames[i + 2].atMs);
  assert.ok(gaps.every((g) => g === 20), `frames after the lead leave every 20 ms: ${gaps}`);
  const done = output.ofType("response.done")[0];
  assert.equal(done.frames, 12);
  assert.equal(done.seqGaps, 0);
  const metrics = output.ofType("metrics")[0].metrics;
  assert.ok(metrics.voice_to_voice_ms !== undefined && metrics.asr_final_ms !== undefined, JSON.stringify(metrics));
  assert.deepEqual(session.conversation.messages, [
    { role: "user", content: "hello there" },
    { role: "assistant", content: "hello there" },
  ]);
  session.end("client_end");
});

Deno.test("session: barge-in with words holds output at once, stops the worker and keeps only heard text", async () => {
  const { clock, output, router, session, audio, metrics } = setup();
  session.text(LONG);
  await clock.advance(300);
  const sentBefore = output.frames.length;
  assert.ok(sentBefore > 10 && sentBefore < LONG_FRAMES, `${sentBefore} frames sent`);
  session.audio({ samples: chunk16k(LEVEL.words), sampleRate: 16_000 });
  await clock.advance(0);
  assert.equal(session.machine.state, "interrupted");
  const heldAt = clock.now();
  // "hello there" (10 letters) counts once enough speech was heard to carry it (about 400 ms).
  await audio(LEVEL.words, 500);
  assert.equal(output.frames.filter((f) => f.atMs > heldAt).length, 0, "no agent frame after the onset");
  const interrupted = output.ofType("response.interrupted")[0];
  assert.equal(interrupted.reason, "barge_in");
  assert.ok(LONG.startsWith(interrupted.heardText) && interrupted.heardText.length > 0, interrupted.heardText);
  assert.ok(interrupted.heardText.length < LONG.length);
  assert.equal(router.streams[0].pauses, 1);
  assert.equal(router.streams[0].stopped, true);
  assert.equal(output.clears.length, 1, "the stop drops the audio the carrier still queues");
  assert.deepEqual(session.conversation.messages.at(-1), {
    role: "assistant",
    content: interrupted.heardText,
    interrupted: true,
  });
  assert.equal(metrics.bargeIn.count(), 1);
  assert.equal(output.ofType("metrics").at(-1)?.metrics.barge_in_ms, 0);
  session.end("client_end");
});

Deno.test("session: a noise burst without words resumes from the next unsent frame, nothing lost or repeated", async () => {
  const { clock, output, router, session, audio, metrics } = setup();
  session.text(LONG);
  await clock.advance(300);
  await audio(LEVEL.noise, 160); // 150 ms-ish burst: VAD onset, no words
  assert.equal(session.machine.state, "interrupted");
  const heldFrames = output.frames.length;
  await audio(LEVEL.silence, 40); // VAD end → final "" → resume
  assert.equal(session.machine.state, "speaking");
  assert.equal(router.streams[0].resumes, 1);
  await clock.advance(2_000);
  assert.ok(output.frames.length > heldFrames);
  assert.deepEqual(seqs(output), Array.from({ length: LONG_FRAMES }, (_, i) => i + 1), "every frame once, in order");
  assert.equal(output.ofType("response.done")[0].frames, LONG_FRAMES);
  assert.equal(output.ofType("response.interrupted").length, 0);
  assert.deepEqual(output.clears, [], "a resumed response keeps its queued audio");
  assert.equal(metrics.falseInterruptions.get(), 1);
  session.end("client_end");
});

Deno.test("session: a phrase the ASR invents for a short loud burst does not stop the agent", async () => {
  const { clock, output, session, audio, asr } = setup();
  asr.wordsText = "take care now";
  session.text(LONG);
  await clock.advance(300);
  await audio(LEVEL.words, 100);
  await audio(LEVEL.silence, 40);
  assert.ok(output.ofType("transcript.partial").some((p) => p.text === "take care now"), "the ASR did hear it");
  await clock.advance(2_000);
  assert.equal(output.ofType("response.interrupted").length, 0);
  assert.deepEqual(seqs(output), Array.from({ length: LONG_FRAMES }, (_, i) => i + 1));
  session.end("client_end");
});

Deno.test("session: the agent stays paused while the user is audible and its final is pending, up to the bound", async () => {
  // An ASR whose final never comes: only the upper bound (max(3 × 300, 2000) ms after the speech end) resumes.
  const { clock, output, session, audio, asr } = setup({ falseInterruptionMs: 300 });
  asr.wordsText = "";
  asr.holdFinals = true;
  session.text(LONG);
  await clock.advance(200);
  await audio(LEVEL.noise, 1_000);
  assert.equal(session.machine.state, "interrupted", "held for as long as the VAD hears speech");
  await audio(LEVEL.silence, 340);
  assert.equal(session.machine.state, "interrupted", "the window expired, but the final is still pending");
  await audio(LEVEL.silence, 1_600);
  assert.equal(session.machine.state, "interrupted", "inside the bound");
  await audio(LEVEL.silence, 100);
  assert.equal(session.machine.state, "speaking");
  await clock.advance(2_000);
  assert.deepEqual(seqs(output), Array.from({ length: LONG_FRAMES }, (_, i) => i + 1));
  session.end("client_end");
});

Deno.test("session: speech inside the barge-in guard window does not interrupt", async () => {
  const { clock, output, session, audio } = setup({ bargeInGuardMs: 500 });
  session.text(LONG);
  await clock.advance(100);
  await audio(LEVEL.words, 200);
  assert.equal(session.machine.state, "speaking");
  assert.equal(output.ofType("speech.started").length, 0);
  await clock.advance(2_000);
  assert.equal(output.ofType("response.done").length, 1);
  session.end("client_end");
});

Deno.test("session: pause holds agent audio and resume continues it; stop ends the response", async () => {
  const { clock, output, router, session } = setup();
  session.text(LONG);
  await clock.advance(200);
  session.control("pause");
  const n = output.frames.length;
  await clock.advance(500);
  assert.equal(output.frames.length, n);
  assert.equal(router.streams[0].paused, true);
  session.control("resume");
  await clock.advance(100);
  assert.ok(output.frames.length > n);
  session.control("stop");
  assert.equal(output.ofType("response.interrupted")[0].reason, "client_stop");
  assert.equal(session.machine.state, "listening");
  const after = output.frames.length;
  await clock.advance(500);
  assert.equal(output.frames.length, after);
  assert.deepEqual(seqs(output), Array.from({ length: after }, (_, i) => i + 1));
  session.end("client_end");
});

Deno.test("session: typed text while the agent speaks replaces the response", async () => {
  const { clock, output, router, session } = setup();
  session.text(LONG);
  await clock.advance(200);
  session.text("new question");
  await clock.advance(1_500);
  assert.equal(output.ofType("response.interrupted")[0].reason, "text_input");
  assert.equal(output.ofType("response.done").length, 1);
  assert.equal(router.streams.length, 2);
  assert.equal(output.ofType("response.done")[0].text, "new question");
  session.end("client_end");
});

Deno.test("session: a failing responder reports a non-fatal error and the session keeps listening", async () => {
  const failing: Responder = {
    name: "failing",
    // deno-lint-ignore require-yield
    async *respond() {
      await Promise.resolve();
      throw new Error("model exploded");
    },
  };
  const { clock, output, session } = setup({}, failing);
  session.text("hi");
  await clock.advance(100);
  const error = output.ofType("error")[0];
  assert.equal(error.code, "responder_failed");
  assert.equal(error.fatal, false);
  assert.equal(session.machine.state, "listening");
  assert.equal(output.closed, null);
  session.text("again");
  await clock.advance(100);
  assert.equal(output.ofType("error").length, 2);
  session.end("client_end");
});

Deno.test("session: end stops output, cancels utterances and ends the worker sessions", async () => {
  const { clock, output, router, asr, session, audio } = setup();
  session.text(LONG);
  await clock.advance(200);
  await audio(LEVEL.words, 40);
  session.end("disconnected");
  const n = output.frames.length;
  await clock.advance(1_000);
  assert.equal(output.frames.length, n);
  assert.deepEqual(router.endedSessions, ["s1"]);
  assert.ok(asr.cancelled >= 1);
  assert.equal(session.machine.state, "closed");
});
