/**
 * No user speech is lost, whatever the agent is doing: speech that starts while an interruption waits for its words
 * (the false-interruption window) is recorded, transcribed and answered together with the words before it.
 */
import assert from "node:assert/strict";
import { LEVEL } from "./fakes.ts";
import { agentSpeaking, LONG } from "./session_setup.ts";

Deno.test("session: words said inside the false-interruption window are transcribed and answered with the first", async () => {
  const { clock, output, asr, session, audio } = await agentSpeaking();
  asr.wordsText = "wait";
  await audio(LEVEL.words, 200);
  const heldAt = clock.now();
  await audio(LEVEL.silence, 100); // "Wait," — the VAD ends at the comma; its final is slow
  asr.wordsText = "please stop talking";
  await audio(LEVEL.words, 900); // longer than the window: the agent must stay paused while the user is audible
  assert.equal(session.machine.state, "interrupted");
  assert.equal(asr.utterancesStarted, 2, "the second stretch of speech has its own utterance");
  await audio(LEVEL.silence, 100);
  asr.releaseFinals();
  await clock.advance(2_000);
  assert.deepEqual(output.ofType("transcript.final").map((e) => e.text), ["wait", "please stop talking"]);
  const interrupted = output.ofType("response.interrupted");
  assert.equal(interrupted.length, 1);
  assert.equal(interrupted[0].reason, "barge_in");
  const started = output.ofType("response.started").map((e) => e.input);
  assert.deepEqual(started, [LONG, "wait please stop talking"], "one answer to everything the user said");
  const first = output.ofType("response.done")[0];
  assert.equal(first.text, "wait please stop talking");
  const leaked = output.frames.filter((f) => f.atMs > heldAt).length;
  assert.equal(leaked, first.frames, "after the onset only the new answer's frames were sent");
  assert.deepEqual(session.conversation.messages.map((m) => m.content).slice(-2), [
    "wait please stop talking",
    "wait please stop talking",
  ]);
  session.end("client_end");
});

Deno.test("session: an empty final while the user speaks again keeps the agent paused; the later words stop it", async () => {
  const { clock, output, asr, session, audio } = await agentSpeaking();
  asr.wordsText = "";
  await audio(LEVEL.noise, 160); // a cough: no words
  await audio(LEVEL.silence, 100);
  const heldFrames = output.frames.length;
  asr.wordsText = "stop talking";
  await audio(LEVEL.words, 200);
  asr.releaseFinals(); // the cough's empty final arrives while the user is talking
  await audio(LEVEL.words, 300);
  assert.equal(session.machine.state, "interrupted", "the agent stays paused while the user is audible");
  assert.equal(output.frames.length, heldFrames, "no agent frame while the user talks");
  await audio(LEVEL.silence, 100);
  await clock.advance(2_000);
  assert.deepEqual(output.ofType("transcript.final").map((e) => e.text), ["", "stop talking"]);
  assert.equal(output.ofType("response.interrupted")[0]?.reason, "barge_in");
  assert.deepEqual(output.ofType("response.started").map((e) => e.input), [LONG, "stop talking"]);
  session.end("client_end");
});

Deno.test("session: words right after a fast final are kept, whether the answer to it was audible yet or not", async () => {
  // The recognizer is fast here: "wait" stops the agent and is answered at once; "please stop" follows 20 ms later,
  // so it either drops that answer (not audible yet) or interrupts it; either way both parts are in the conversation.
  const { clock, output, asr, session, audio } = await agentSpeaking();
  asr.gateFinals = false;
  asr.wordsText = "wait";
  await audio(LEVEL.words, 200);
  await audio(LEVEL.silence, 20);
  asr.wordsText = "please stop";
  await audio(LEVEL.words, 400);
  await audio(LEVEL.silence, 100);
  await clock.advance(2_000);
  assert.deepEqual(output.ofType("transcript.final").map((e) => e.text), ["wait", "please stop"]);
  const said = session.conversation.messages.filter((m) => m.role === "user").map((m) => m.content).join(" ");
  assert.match(said, /wait.*please stop/);
  assert.match(output.ofType("response.done").at(-1)?.text ?? "", /please stop$/);
  assert.equal(session.machine.state, "listening");
  session.end("client_end");
});
