import assert from "node:assert/strict";
import type { AsrEngine, Transcript, Utterance } from "../../../orchestrator/asr/contract.ts";
import { SpeechInput, type TimedVadEvent } from "../../../orchestrator/session/speech_input.ts";
import { chunk16k, FakeVadStream, LEVEL } from "./fakes.ts";

/** An ASR that records what each utterance was given. */
class RecordingAsr implements AsrEngine {
  readonly name = "recording-asr";
  readonly languages = ["en"];
  pushed: Float32Array[][] = [];
  startUtterance(): Utterance {
    const chunks: Float32Array[] = [];
    this.pushed.push(chunks);
    const transcript: Transcript = {
      text: "x",
      language: "en",
      confidence: 1,
      audioSeconds: 0,
      computeMs: 0,
      isFinal: true,
    };
    return { push: (s) => chunks.push(s.slice()), finish: () => Promise.resolve(transcript), cancel: () => {} };
  }
  transcribe(): Promise<Transcript> {
    return Promise.reject(new Error("unused"));
  }
  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(asrLeadMs = 0) {
  const asr = new RecordingAsr();
  const events: TimedVadEvent[] = [];
  const input = new SpeechInput({
    vad: new FakeVadStream(),
    asr,
    toSpeechRate: (samples) => Float32Array.from(samples, (v) => v / 32768),
    listener: { onVadEvent: (e) => events.push(e), onPartial: () => {}, onError: (e) => assert.fail(e) },
    preRollMs: 500,
    asrLeadMs,
  });
  return { asr, events, input };
}

Deno.test("speech input: VAD events carry stream time and the wall time of that audio", async () => {
  const { events, input } = setup();
  let t = 10_000;
  for (const level of [LEVEL.silence, LEVEL.silence, LEVEL.words, LEVEL.words, LEVEL.silence]) {
    await input.push(chunk16k(level), 16_000, t += 20);
  }
  assert.deepEqual(events.map((e) => [e.type, e.streamMs, e.atMs, e.detectedArrivalMs]), [
    ["speech_start", 40, 10_040, 10_060],
    ["speech_end", 80, 10_080, 10_100],
  ]);
  assert.equal(input.streamMs, 100);
});

Deno.test("speech input: an utterance started at an earlier onset receives the audio from the onset on, once", async () => {
  const { asr, input } = setup();
  const chunks = [1, 2, 3, 4].map((k) => chunk16k(k * 1_000));
  for (const [i, c] of chunks.entries()) await input.push(c, 16_000, i * 20);
  input.startUtterance(20); // from the second chunk on
  await input.push(chunk16k(5_000), 16_000, 80);
  const got = asr.pushed[0].flatMap((c) => Array.from(c));
  assert.equal(got.length, 4 * 320);
  assert.deepEqual([got[0], got[320], got[640], got[960]].map((v) => Math.round(v * 32768)), [
    2_000,
    3_000,
    4_000,
    5_000,
  ]);
});

Deno.test("speech input: the ASR also gets a lead of audio before the onset, so a soft first sound is not clipped", async () => {
  const { asr, input } = setup(40);
  const chunks = [1, 2, 3, 4].map((k) => chunk16k(k * 1_000));
  for (const [i, c] of chunks.entries()) await input.push(c, 16_000, i * 20);
  input.startUtterance(60); // onset at the fourth chunk, lead of two chunks
  const got = asr.pushed[0].flatMap((c) => Array.from(c));
  assert.deepEqual([got[0], got[320], got[640]].map((v) => Math.round(v * 32768)), [2_000, 3_000, 4_000]);
  assert.equal(got.length, 3 * 320);
});

Deno.test("speech input: pre-roll is bounded, and finishing or cancelling ends the utterance", async () => {
  const { asr, input } = setup();
  for (let i = 0; i < 50; i++) await input.push(chunk16k(100), 16_000, i * 20); // 1 s
  input.startUtterance(0);
  assert.equal(asr.pushed[0][0].length, 8_000, "at most preRollMs (500 ms) of old audio");
  const result = await input.finishUtterance();
  assert.equal(result?.transcript.text, "x");
  assert.equal(await input.finishUtterance(), null, "nothing is recording any more");
  input.startUtterance(input.streamMs);
  const pending = input.finishUtterance();
  input.cancelUtterances();
  assert.equal(await pending, null, "a cancelled utterance has no final");
  input.close();
  await input.push(chunk16k(1), 16_000, 0);
  assert.equal(input.streamMs, 1_000, "audio after close is ignored");
});
