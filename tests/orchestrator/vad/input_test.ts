import assert from "node:assert/strict";
import type { VadEvent } from "../../../orchestrator/vad/contract.ts";
import { VadInput } from "../../../orchestrator/vad/input.ts";
import { SileroVadModel } from "../../../orchestrator/vad/silero_model.ts";
import { float32ToInt16 } from "../../../shared/audio/pcm.ts";
import { chunked, speak } from "../../helpers/speech.ts";
import { resolveRepoPath } from "../../helpers/sox.ts";
import { DEFAULT_OPTIONS, show } from "./vad_helpers.ts";

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
      const input = new VadInput(model.createStream(DEFAULT_OPTIONS), { sampleRate: 48_000 });
      const frames = [...chunked(audio.samples, 960)].map((frame) => float32ToInt16(frame));
      const events = await collect(frames.map((frame) => input.pushS16(frame)));
      events.push(...(await input.flush()));
      const why = `${voice}: speech ${audio.speechStartMs}-${audio.speechEndMs.toFixed(0)} ms, got ${show(events)}`;
      assert.deepEqual(events.map((e) => e.type), ["speech_start", "speech_end"], why);
      assert.ok(Math.abs(events[0].streamMs - audio.speechStartMs) <= 100, why);
      assert.ok(Math.abs(events[1].streamMs - audio.speechEndMs) <= 100, why);
      assert.ok(Math.abs(input.stream.streamMs - audio.samples.length / 48) < 1, "all audio reached the VAD");
    }
  } finally {
    await model.dispose();
  }
});

Deno.test("float input at 44.1 kHz agrees with the same speech at 16 kHz", async () => {
  const model = await SileroVadModel.load(MODEL);
  try {
    const at16 = await speak({ text: TEXT, leadMs: 600, tailMs: 800 });
    const at44 = await speak({ text: TEXT, leadMs: 600, tailMs: 800, sampleRate: 44_100 });
    const direct = new VadInput(model.createStream(DEFAULT_OPTIONS), { sampleRate: 16_000 });
    const resampled = new VadInput(model.createStream(DEFAULT_OPTIONS), { sampleRate: 44_100 });
    const a = await collect([...chunked(at16.samples, 320)].map((c) => direct.pushFloat(c)));
    const b = await collect([...chunked(at44.samples, 882)].map((c) => resampled.pushFloat(c)));
    assert.equal(a.length, b.length, `${show(a)} vs ${show(b)}`);
    a.forEach((event, i) => {
      assert.equal(b[i].type, event.type);
      assert.ok(Math.abs(b[i].streamMs - event.streamMs) <= 64, `${show(a)} vs ${show(b)}`);
    });
  } finally {
    await model.dispose();
  }
});

Deno.test("bad input to VadInput is refused with a clear error", async () => {
  const model = await SileroVadModel.load(MODEL);
  try {
    assert.throws(() => new VadInput(model.createStream(DEFAULT_OPTIONS), { sampleRate: 0 }), /sample rate.*got 0/);
    const input = new VadInput(model.createStream(DEFAULT_OPTIONS), { sampleRate: 48_000 });
    await assert.rejects(input.pushS16(new Float32Array(960) as unknown as Int16Array), /needs an Int16Array/);
    await assert.rejects(input.pushFloat(new Int16Array(960) as unknown as Float32Array), /needs a Float32Array/);
    await assert.rejects(input.pushFloat(Float32Array.of(0, Infinity)), /sample 1 is Infinity/);
    assert.deepEqual(await input.pushS16(new Int16Array(960)), [], "still works afterwards");
    await input.reset();
    assert.equal(input.stream.streamMs, 0);
  } finally {
    await model.dispose();
  }
});
