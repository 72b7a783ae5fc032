/**
 * Whisper engine behaviour beyond the shared contract: partials that grow into the final, long / clipped /
 * wrong-rate audio, limits, device fallback, missing models, int8 graphs and the short encoder window.
 *
 * @module
 */
import assert from "node:assert/strict";
import { AsrInputError, type Transcript } from "../../../../orchestrator/asr/contract.ts";
import { createWhisperEngine, WhisperModelError } from "../../../../orchestrator/asr/whisper/mod.ts";
import { chunked, concat, silence, speak } from "../../../../harness/speech.ts";
import { normaliseWords, wordErrorRate } from "../../../../harness/wer.ts";
import { loadTinyEn, referenceTranscripts, REPO, SENTENCES } from "../../../../harness/whisper_fixtures.ts";
import { soxEncode } from "../../../../harness/sox.ts";

const say = async (text: string, voice: "piper-joe" | "flite-rms" = "piper-joe") =>
  (await speak({ text, voice, leadMs: 300, tailMs: 300 })).samples;

Deno.test("whisper: partials grow while audio streams in, and the final agrees with the last of them", async () => {
  const engine = await loadTinyEn({ partialIntervalMs: 250 });
  try {
    const text = SENTENCES[2] + " " + SENTENCES[5];
    const samples = concat(await say(SENTENCES[2]), await say(SENTENCES[5]));
    const partials: Transcript[] = [];
    const utterance = engine.startUtterance({ onPartial: (p) => partials.push(p) });
    for (const chunk of chunked(samples, 3200)) {
      utterance.push(chunk);
      await new Promise((r) => setTimeout(r, 100)); // real time: 200 ms of audio every 100 ms
    }
    const final = await utterance.finish();
    assert.ok(partials.length >= 2, `only ${partials.length} partial(s)`);
    assert.ok(partials.every((p, i) => i === 0 || p.audioSeconds >= partials[i - 1].audioSeconds));
    assert.ok(wordErrorRate(text, final.text) <= 0.15, `final "${final.text}"`);
    // The last partial heard nearly everything: all but its last two words must open the final unchanged.
    const last = normaliseWords(partials.at(-1)!.text);
    const stable = last.slice(0, Math.max(0, last.length - 2));
    assert.deepEqual(normaliseWords(final.text).slice(0, stable.length), stable, `partial "${partials.at(-1)!.text}"`);
  } finally {
    await engine.dispose();
  }
});

Deno.test("whisper: 40 s of speech is transcribed in two 30 s windows, as faster-whisper does", async () => {
  const parts = [];
  for (let i = 0; parts.length === 0 || parts.reduce((n, p) => n + p.length, 0) < 40 * 16_000; i++) {
    parts.push(await say(SENTENCES[i % SENTENCES.length]), silence(700));
  }
  const samples = concat(...parts);
  const wav = `${REPO}/.cache/whisper_reference/long-${samples.length}.wav`;
  await Deno.mkdir(`${REPO}/.cache/whisper_reference`, { recursive: true });
  await soxEncode(samples, 16_000, wav);
  const [reference] = await referenceTranscripts([wav]);
  const engine = await loadTinyEn();
  try {
    const got = await engine.transcribe(samples);
    assert.ok(got.audioSeconds >= 40);
    assert.equal(got.text, reference.text);
    assert.ok(normaliseWords(got.text).length > 60, `only "${got.text}"`);
  } finally {
    await engine.dispose();
  }
});

Deno.test("whisper: clipped, too slow and too fast audio give a final transcript, not a crash", async () => {
  const engine = await loadTinyEn();
  try {
    const clean = await say(SENTENCES[7]);
    const clipped = clean.map((v) => Math.max(-1, Math.min(1, v * 12)));
    const got = await engine.transcribe(clipped);
    assert.ok(wordErrorRate(SENTENCES[7], got.text) <= 0.5, `clipped → "${got.text}"`);
    // 48 kHz audio handed over as 16 kHz plays three times too slow; 8 kHz plays twice too fast.
    const slow = (await speak({ text: SENTENCES[8], voice: "piper-joe", sampleRate: 48_000 })).samples;
    const fast = (await speak({ text: SENTENCES[8], voice: "piper-joe", sampleRate: 8_000 })).samples;
    for (const samples of [slow, fast]) {
      const t = await engine.transcribe(samples);
      assert.equal(t.isFinal, true);
      assert.equal(typeof t.text, "string");
      assert.ok(normaliseWords(t.text).length < 60, `runaway transcript "${t.text}"`);
    }
  } finally {
    await engine.dispose();
  }
});

Deno.test("whisper: audio beyond the length limit is refused with AsrInputError", async () => {
  const engine = await loadTinyEn({ maxSeconds: 5 });
  try {
    await assert.rejects(
      engine.transcribe(new Float32Array(6 * 16_000)),
      (e) => e instanceof AsrInputError && /at most 5 s/.test(e.message),
    );
    const utterance = engine.startUtterance();
    utterance.push(new Float32Array(4 * 16_000));
    assert.throws(() => utterance.push(new Float32Array(2 * 16_000)), (e) => e instanceof AsrInputError);
    assert.equal((await utterance.finish()).audioSeconds, 4);
  } finally {
    await engine.dispose();
  }
});

Deno.test("whisper: an English-only model ignores another language hint and reports English", async () => {
  const engine = await loadTinyEn();
  try {
    assert.deepEqual(engine.languages, ["en"]);
    const got = await engine.transcribe(await say(SENTENCES[0]), { language: "de" });
    assert.equal(got.language, "en");
  } finally {
    await engine.dispose();
  }
});

Deno.test("whisper: ASR_DEVICE=cuda without a loadable CUDA provider runs on CPU", async () => {
  const engine = await loadTinyEn({ device: "cuda" });
  try {
    assert.equal(engine.device, "cpu");
    assert.ok(wordErrorRate(SENTENCES[1], (await engine.transcribe(await say(SENTENCES[1]))).text) <= 0.15);
  } finally {
    await engine.dispose();
  }
});

Deno.test("whisper: a missing model names the folder and the command that fetches it", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const config = {
      ASR_MODELS_DIR: empty,
      ASR_MODEL_SIZE: "base" as const,
      ASR_LANGUAGE: "en",
      ASR_DEVICE: "cpu" as const,
      ASR_PARTIAL_INTERVAL_MS: 500,
      ASR_FINAL_WINDOW: "fit" as const,
      ASR_FIT_PADDING_FRAMES: 1500,
      STRICT_CONFIG: false,
    };
    await assert.rejects(
      createWhisperEngine(config),
      (e) => e instanceof WhisperModelError && e.message.includes(empty) && /models:fetch whisper-base/.test(e.message),
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("whisper: a disposed engine refuses work with a clear error", async () => {
  const engine = await loadTinyEn();
  await engine.dispose();
  await assert.rejects(engine.transcribe(new Float32Array(16_000)), /disposed/);
  await engine.dispose(); // twice is fine
});

Deno.test("whisper: the int8 graphs and the short encoder window also transcribe real speech", async () => {
  for (const options of [{ int8: true }, { finalWindow: "fit" as const }]) {
    const engine = await loadTinyEn(options);
    try {
      const got = await engine.transcribe(await say(SENTENCES[3]));
      assert.ok(wordErrorRate(SENTENCES[3], got.text) <= 0.2, `${JSON.stringify(options)} → "${got.text}"`);
    } finally {
      await engine.dispose();
    }
  }
});

Deno.test("whisper: a fitted final (audio + 1500 zero-padded frames) is as accurate as the full 30 s window", async () => {
  const full = await loadTinyEn();
  const fit = await loadTinyEn({ finalWindow: "fit", fitPaddingFrames: 1500 });
  try {
    let werFull = 0, werFit = 0;
    const texts = SENTENCES.slice(0, 8);
    for (const [i, text] of texts.entries()) {
      const samples = (await speak({ text, voice: i % 2 ? "flite-rms" : "piper-joe", leadMs: 300, tailMs: 300 }))
        .samples;
      werFull += wordErrorRate(text, (await full.transcribe(samples)).text);
      const fitted = await fit.transcribeDetailed(samples);
      assert.deepEqual(fitted.windows.length, 1);
      werFit += wordErrorRate(text, fitted.text);
    }
    // About one flipped word in eight sentences is the tolerance.
    assert.ok(werFit / texts.length <= werFull / texts.length + 0.02, `fit ${werFit} vs full ${werFull}`);
  } finally {
    await full.dispose();
    await fit.dispose();
  }
});

Deno.test("whisper: a final checked against the last partial's tokens equals plain greedy, in fewer decoder calls", async () => {
  const engine = await loadTinyEn();
  try {
    for (const [i, text] of SENTENCES.slice(10, 16).entries()) {
      const samples =
        (await speak({ text, voice: i % 2 ? "flite-rms" : "piper-joe", leadMs: 300, tailMs: 300 })).samples;
      const partial = await engine.transcribeDetailed(samples.slice(0, Math.floor(samples.length * 0.7)), {
        window: "fit",
      });
      const plain = await engine.transcribeDetailed(samples);
      const drafted = await engine.transcribeDetailed(samples, { draft: partial.tokens });
      const nonsense = await engine.transcribeDetailed(samples, { draft: [...partial.tokens].reverse() });
      assert.equal(drafted.text, plain.text);
      assert.deepEqual(drafted.tokens, plain.tokens);
      assert.equal(nonsense.text, plain.text, "a wrong draft costs calls, never words");
      assert.ok(drafted.timings.decoderCalls < plain.timings.decoderCalls, JSON.stringify([drafted, plain]));
    }
  } finally {
    await engine.dispose();
  }
});
