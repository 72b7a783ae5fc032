import assert from "node:assert/strict";
import type { VadEvent } from "../../../orchestrator/vad/contract.ts";
import { SpeechRateConverter } from "../../../orchestrator/session/speech_rate.ts";
import { SileroVadModel } from "../../../orchestrator/vad/silero_model.ts";
import { float32ToInt16 } from "../../../shared/audio/pcm.ts";
import { chunked, speak } from "../../../harness/speech.ts";
import { resolveRepoPath } from "../../../harness/sox.ts";
import { DEFAULT_OPTIONS, show } from "../vad/vad_helpers.ts";

const MODEL = resolveRepoPath("models/silero/silero_vad_v5.onnx");
const TEXT = "Please turn off the lights in the kitchen.";

async function collect(pushes: Iterable<Promise<VadEvent[]>>): Promise<VadEvent[]> {
  return (await Promise.all(pushes)).flat();
}

Deno.test("48 kHz s16 wire frames go through the resampler and find the speech at the right stream time", async () => {
  const model = await SileroVadModel.load(MODEL);
  try {
    for (const voice of ["flite-slt", "piper-joe"] as const) {
      const audio = await speak({ text: TEXT, voice, leadMs: 800, tailMs: 1000, sampleRate: 48_000 });
      const stream = model.createStream(DEFAULT_OPTIONS);
      const converter = new SpeechRateConverter();
      const frames = [...chunked(audio.samples, 960)].map((frame) => float32ToInt16(frame));
      const events = await collect(frames.map((frame) => stream.push(converter.convert(frame, 48_000))));
      events.push(...(await stream.flush()));
      const why = `${voice}: speech ${audio.speechStartMs}-${audio.speechEndMs.toFixed(0)} ms, got ${show(events)}`;
      assert.deepEqual(events.map((e) => e.type), ["speech_start", "speech_end"], why);
      assert.ok(Math.abs(events[0].streamMs - audio.speechStartMs) <= 100, why);
      assert.ok(Math.abs(events[1].streamMs - audio.speechEndMs) <= 100, why);
      assert.ok(Math.abs(stream.streamMs - audio.samples.length / 48) < 30, "all audio reached the VAD");
    }
  } finally {
    await model.dispose();
  }
});

Deno.test("audio at 44.1 kHz agrees with the same speech at 16 kHz", async () => {
  const model = await SileroVadModel.load(MODEL);
  try {
    const at16 = await speak({ text: TEXT, leadMs: 600, tailMs: 800 });
    const at44 = await speak({ text: TEXT, leadMs: 600, tailMs: 800, sampleRate: 44_100 });
    const direct = model.createStream(DEFAULT_OPTIONS);
    const resampled = model.createStream(DEFAULT_OPTIONS);
    const converter = new SpeechRateConverter();
    const a = await collect(
      [...chunked(at16.samples, 320)].map((c) => direct.push(converter.convert(float32ToInt16(c), 16_000))),
    );
    const b = await collect(
      [...chunked(at44.samples, 882)].map((c) => resampled.push(converter.convert(float32ToInt16(c), 44_100))),
    );
    assert.equal(a.length, b.length, `${show(a)} vs ${show(b)}`);
    a.forEach((event, i) => {
      assert.equal(b[i].type, event.type);
      assert.ok(Math.abs(b[i].streamMs - event.streamMs) <= 64, `${show(a)} vs ${show(b)}`);
    });
  } finally {
    await model.dispose();
  }
});

Deno.test("each frame is converted by its own rate: 20 ms at 48 kHz and 20 ms at 16 kHz give 20 ms each", () => {
  const converter = new SpeechRateConverter();
  let total = 0;
  for (let i = 0; i < 50; i++) {
    total += converter.convert(new Int16Array(960), 48_000).length;
    total += converter.convert(new Int16Array(320), 16_000).length;
  }
  // The resampler holds back a few samples of its filter; everything else comes out at 16 kHz.
  assert.ok(Math.abs(total - 100 * 320) <= 64, `${total} samples for 2 s of audio`);
});

Deno.test("bad input to the speech converter is refused with a clear error", () => {
  const converter = new SpeechRateConverter();
  assert.throws(() => converter.convert(new Int16Array(960), 0), /sample rate.*got 0/);
  assert.throws(
    () => converter.convert(new Float32Array(960) as unknown as Int16Array, 48_000),
    /must be an Int16Array/,
  );
  assert.equal(converter.convert(new Int16Array(960), 48_000).length > 0, true, "still works afterwards");
});
