/**
 * A recognizer slower than the false-interruption window (Whisper under load): the window cannot conclude "no words"
 * while the final of the interrupting speech is pending. The agent stays paused until the final comes, up to the
 * bound (max(3 × window, 2000 ms) after the speech end); a final with words that comes even later still stops it.
 * Also: a short, low-confidence transcript (a hallucination for a noise burst) does not stop the agent.
 */
import assert from "node:assert/strict";
import { LEVEL } from "./fakes.ts";
import { agentSpeaking, LONG, LONG_FRAMES, seqs, setup } from "./session_setup.ts";

const everyFrameOnce = Array.from({ length: LONG_FRAMES }, (_, i) => i + 1);

Deno.test("session: words whose final comes after the window stop the agent that waited paused for them", async () => {
  const { clock, output, session, audio, asr, router } = await agentSpeaking();
  asr.wordsText = "stop";
  await audio(LEVEL.words, 300);
  await audio(LEVEL.silence, 20);
  const heldFrames = output.frames.length;
  await clock.advance(1_200); // the 700 ms window is over; the final is not
  assert.equal(
    session.machine.state,
    "interrupted",
    "the window cannot conclude 'no words' while the final is pending",
  );
  assert.equal(output.frames.length, heldFrames, "no agent frame while waiting for the final");
  asr.releaseFinals();
  await clock.advance(2_000);
  const interrupted = output.ofType("response.interrupted");
  assert.equal(interrupted.length, 1);
  assert.equal(interrupted[0].reason, "barge_in");
  assert.ok(LONG.startsWith(interrupted[0].heardText) && interrupted[0].heardText.length < LONG.length);
  assert.equal(router.streams[0].resumes, 0, "the agent never resumed");
  assert.deepEqual(output.ofType("response.started").map((e) => e.input), [LONG, "stop"]);
  assert.deepEqual(session.conversation.messages.slice(-3).map((m) => m.content), [
    interrupted[0].heardText,
    "stop",
    "stop",
  ]);
  session.end("client_end");
});

Deno.test("session: an empty final after the window resumes the agent, nothing lost or repeated", async () => {
  const { clock, output, session, audio, asr, metrics } = await agentSpeaking();
  asr.wordsText = "";
  await audio(LEVEL.noise, 160);
  await audio(LEVEL.silence, 20);
  await clock.advance(1_000);
  assert.equal(session.machine.state, "interrupted");
  asr.releaseFinals();
  await clock.advance(0);
  assert.equal(session.machine.state, "speaking", "resumed as soon as the final said 'no words'");
  await clock.advance(2_000);
  assert.deepEqual(seqs(output), everyFrameOnce);
  assert.equal(output.ofType("response.interrupted").length, 0);
  assert.equal(metrics.falseInterruptions.get(), 1);
  session.end("client_end");
});

Deno.test("session: at the bound the agent resumes; a later final with words stops it then and is answered", async () => {
  const { clock, output, session, audio, asr } = await agentSpeaking();
  asr.wordsText = "stop";
  await audio(LEVEL.words, 300);
  await audio(LEVEL.silence, 20); // speech end; the bound is 2000 ms after it
  await clock.advance(1_900);
  assert.equal(session.machine.state, "interrupted");
  const heldFrames = output.frames.length;
  await clock.advance(200);
  assert.equal(session.machine.state, "speaking", "resumed at the bound");
  await clock.advance(200);
  assert.ok(output.frames.length > heldFrames, "the agent speaks again");
  asr.releaseFinals();
  await clock.advance(2_000);
  assert.deepEqual(output.ofType("transcript.final").map((e) => e.text), ["stop"], "the late transcript is kept");
  const interrupted = output.ofType("response.interrupted");
  assert.equal(interrupted.length, 1);
  assert.equal(interrupted[0].reason, "barge_in");
  assert.ok(interrupted[0].heardText.length < LONG.length, interrupted[0].heardText);
  assert.deepEqual(output.ofType("response.started").map((e) => e.input), [LONG, "stop"]);
  assert.equal(output.ofType("response.done").at(-1)?.text, "stop");
  session.end("client_end");
});

Deno.test("session: a late final without words after the bound is dropped; the agent plays to the end", async () => {
  const { clock, output, session, audio, asr } = await agentSpeaking();
  asr.wordsText = "";
  await audio(LEVEL.noise, 160);
  await audio(LEVEL.silence, 20);
  await clock.advance(2_100);
  assert.equal(session.machine.state, "speaking");
  asr.releaseFinals();
  await clock.advance(2_000);
  assert.deepEqual(seqs(output), everyFrameOnce);
  assert.equal(output.ofType("response.interrupted").length, 0);
  assert.deepEqual(output.ofType("response.started").map((e) => e.input), [LONG]);
  assert.equal(session.machine.state, "listening");
  session.end("client_end");
});

Deno.test("session: a short low-confidence transcript (a hallucination for a noise burst) does not stop the agent", async () => {
  const { clock, output, session, audio, asr } = setup();
  asr.wordsText = "It's";
  asr.confidence = 0.21;
  session.text(LONG);
  await clock.advance(300);
  await audio(LEVEL.words, 300);
  await audio(LEVEL.silence, 20);
  await clock.advance(2_000);
  assert.ok(output.ofType("transcript.partial").some((p) => p.text === "It's"), "the ASR did hear it");
  assert.equal(output.ofType("response.interrupted").length, 0);
  assert.deepEqual(seqs(output), everyFrameOnce);
  session.end("client_end");
});
