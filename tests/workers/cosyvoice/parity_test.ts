/**
 * Parity of the TypeScript pipeline with upstream's PyTorch code (PyPI `cosyvoice-minicpmo`) on seeded random
 * weights at reduced size: the same LLM tokens for five texts (greedy), the flow's mel within 1e-3 of its range,
 * HiFT's waveform correlated ≥ 0.999 given upstream's own source draws, and the streamed output of
 * `CosyVoice2Model.tts(stream=True)` (hop schedule, caches, cross-fade) chunk for chunk.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runFlow } from "../../../workers/cosyvoice/flow.ts";
import { vocode } from "../../../workers/cosyvoice/hift.ts";
import { generateTokens } from "../../../workers/cosyvoice/llm.ts";
import { greedySampler } from "../../../workers/cosyvoice/sampling.ts";
import { Token2Wav } from "../../../workers/cosyvoice/token2wav.ts";
import { TextTokenizer } from "../../../workers/cosyvoice/tokenizer.ts";
import { readVoicepack } from "../../../workers/cosyvoice/voicepack.ts";
import { PACK_DIR, PARITY_TEXTS, referenceDir } from "./fixtures.ts";
import { correlation, maxError, openPack, readF32, type Reference, replayDraws } from "./parity.ts";

const signal = new AbortController().signal;

async function setup() {
  const refDir = await referenceDir();
  const reference: Reference = JSON.parse(await Deno.readTextFile(join(refDir, "reference.json")));
  const pack = await readVoicepack(PACK_DIR);
  const sessions = await openPack(PACK_DIR);
  const release = () =>
    Promise.all(
      [sessions.llm, ...Object.values(sessions.flow), ...Object.values(sessions.hift)].map((s) => s.release()),
    );
  return { refDir, reference, pack, sessions, release };
}

Deno.test("cosyvoice parity: tokenizer ids and greedy LLM speech tokens equal upstream's for five texts", async () => {
  const { reference, pack, sessions, release } = await setup();
  try {
    const tokenizer = await TextTokenizer.load(join(PACK_DIR, "tokenizer.json"));
    assert.deepEqual(reference.llm.map((r) => r.text), PARITY_TEXTS);
    for (const expected of reference.llm) {
      const ids = tokenizer.encode(expected.text);
      assert.deepEqual(ids, expected.text_ids, `token ids of "${expected.text}"`);
      const tokens = await Array.fromAsync(generateTokens(sessions.llm, pack.manifest, {
        promptTextIds: pack.manifest.voice.prompt_text_ids,
        textIds: ids,
        promptSpeech: pack.manifest.voice.prompt_speech_tokens,
        sampler: greedySampler(),
        signal,
      }));
      assert.ok(tokens.length >= 2 * ids.length, "min_len holds");
      assert.deepEqual(tokens, expected.tokens, `speech tokens of "${expected.text}"`);
    }
  } finally {
    await release();
  }
});

Deno.test("cosyvoice parity: the flow's mel matches upstream's within 1e-3 of its range", async () => {
  const { refDir, reference, pack, sessions, release } = await setup();
  try {
    const mel = await runFlow(sessions.flow, pack, reference.flow.tokens, false, signal);
    assert.equal(mel.frames, reference.flow.mel_shape[1]);
    const { max, range } = maxError(mel.data, await readF32(refDir, "flow_mel"));
    console.log(`flow: max abs error ${max.toExponential(2)}, mel range ${range.toFixed(2)}`);
    assert.ok(max <= 1e-3 * range, `max error ${max} > 1e-3 × ${range}`);
  } finally {
    await release();
  }
});

Deno.test("cosyvoice parity: HiFT's waveform correlates ≥ 0.999 with upstream's, voiced and unvoiced", async () => {
  const { refDir, reference, pack, sessions, release } = await setup();
  try {
    const mel = { data: await readF32(refDir, "flow_mel"), frames: reference.flow.mel_shape[1] };
    const draws = await replayDraws(refDir, [{ rand_ini: reference.hift.rand_ini, noise: "hift_noise" }]);
    const { speech, source } = await vocode(sessions.hift, pack.manifest.hift, mel, draws, null);
    const expected = await readF32(refDir, "hift_wav");
    assert.equal(speech.length, expected.length);
    const r = correlation(speech, expected);
    const sourceR = correlation(source, await readF32(refDir, "hift_source"));
    console.log(`hift: waveform correlation ${r.toFixed(6)}, source correlation ${sourceR.toFixed(6)}`);
    const voiced = reference.hift_voiced_fraction;
    assert.ok(voiced > 0.05 && voiced < 0.95, `both source paths are covered: ${voiced} of the frames voiced`);
    assert.ok(r >= 0.999, `correlation ${r}`);
    assert.ok(sourceR >= 0.999, `source correlation ${sourceR}`);
  } finally {
    await release();
  }
});

Deno.test("cosyvoice parity: streamed chunks equal upstream's stream=True output (hops, caches, cross-fade)", async () => {
  const { refDir, reference, pack, sessions, release } = await setup();
  try {
    const calls = reference.stream.calls.map((c, i) => ({ rand_ini: c.rand_ini, noise: `stream_noise${i}` }));
    const stream = new Token2Wav(sessions, pack, await replayDraws(refDir, calls), signal);
    const chunks: Float32Array[] = [];
    for (const token of reference.flow.tokens) {
      const chunk = await stream.push(token);
      if (chunk) chunks.push(chunk);
    }
    chunks.push(await stream.finish());
    assert.deepEqual(chunks.map((c) => c.length), reference.stream.chunk_lengths);
    assert.ok(chunks.length >= 3, "the comparison covers at least two joins");
    const ours = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((offset, c) => (ours.set(c, offset), offset + c.length), 0);
    const expected = await readF32(refDir, "stream_wav");
    const r = correlation(ours, expected);
    const { max } = maxError(ours, expected);
    console.log(`stream: ${chunks.length} chunks, correlation ${r.toFixed(6)}, max abs error ${max.toExponential(2)}`);
    assert.ok(r >= 0.999, `correlation ${r}`);
  } finally {
    await release();
  }
});
