/**
 * scripts/whisper/ct2_to_onnx.py: the setup build of tiny.en, the sherpa-onnx layout it writes (graph inputs and
 * outputs, metadata, tokens file) checked against faster-whisper's own tokenizer, CTranslate2 int8 / int16 inputs,
 * and clear failures on bad input.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { readOnnxMetadata } from "../../../../orchestrator/asr/whisper/onnx_metadata.ts";
import { WhisperTokenizer } from "../../../../orchestrator/asr/whisper/tokenizer.ts";
import { setupWhisperTinyEn } from "../../../../scripts/setup/whisper_model.ts";
import { speak } from "../../../../harness/speech.ts";
import { wordErrorRate } from "../../../../harness/wer.ts";
import { loadTinyEn, referenceSource, REPO, SENTENCES, TINY_EN } from "../../../../harness/whisper_fixtures.ts";

const CONVERTER = `${REPO}/scripts/whisper/ct2_to_onnx.py`;
const VARIANT = `${REPO}/tests/orchestrator/asr/whisper/ct2_variant.py`;

async function python(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { python } = await referenceSource();
  const out = await new Deno.Command(python, { args, stdout: "piped", stderr: "piped" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("setup builds tiny.en once and then leaves the verified build alone", async () => {
  await setupWhisperTinyEn();
  const again = await setupWhisperTinyEn();
  assert.equal(again.built, false, "a current build was rebuilt");
  const manifest = JSON.parse(await Deno.readTextFile(`${TINY_EN}/manifest.json`));
  assert.equal(manifest.format, "sherpa-onnx-whisper");
  assert.deepEqual(Object.keys(manifest.files).sort(), [
    "tiny.en-decoder.int8.onnx",
    "tiny.en-decoder.onnx",
    "tiny.en-encoder.int8.onnx",
    "tiny.en-encoder.onnx",
    "tiny.en-tokens.txt",
  ]);
});

Deno.test("the graphs have sherpa-onnx's inputs, outputs and metadata, with faster-whisper's token ids", async () => {
  const encoder = await ort.InferenceSession.create(`${TINY_EN}/tiny.en-encoder.onnx`);
  const decoder = await ort.InferenceSession.create(`${TINY_EN}/tiny.en-decoder.onnx`);
  try {
    assert.deepEqual(encoder.inputNames, ["mel"]);
    assert.deepEqual(encoder.outputNames, ["n_layer_cross_k", "n_layer_cross_v"]);
    assert.deepEqual(decoder.inputNames, [
      "tokens",
      "in_n_layer_self_k_cache",
      "in_n_layer_self_v_cache",
      "n_layer_cross_k",
      "n_layer_cross_v",
      "offset",
    ]);
    assert.deepEqual(decoder.outputNames, ["logits", "out_n_layer_self_k_cache", "out_n_layer_self_v_cache"]);
  } finally {
    await encoder.release();
    await decoder.release();
  }
  const meta = await readOnnxMetadata(`${TINY_EN}/tiny.en-encoder.onnx`);
  const { modelDir } = await referenceSource();
  const script = `
import json, tokenizers
from faster_whisper.tokenizer import Tokenizer
t = Tokenizer(tokenizers.Tokenizer.from_file(${JSON.stringify(modelDir + "/tokenizer.json")}), False)
print(json.dumps({"sot": t.sot, "eot": t.eot, "no_speech": t.no_speech, "no_timestamps": t.no_timestamps,
  "transcribe": t.transcribe, "translate": t.translate, "sot_prev": t.sot_prev, "sot_lm": t.sot_lm,
  "non_speech_tokens": list(t.non_speech_tokens)}))`;
  const expected = JSON.parse((await python(["-c", script])).stdout);
  for (const key of ["sot", "eot", "no_speech", "no_timestamps", "transcribe", "translate", "sot_prev", "sot_lm"]) {
    assert.equal(Number(meta[key]), expected[key], key);
  }
  assert.deepEqual(meta.non_speech_tokens.split(",").map(Number), expected.non_speech_tokens);
  assert.equal(meta.n_mels, "80");
  assert.equal(meta.is_multilingual, "0");
  assert.equal(meta.sot_sequence, String(expected.sot));
});

Deno.test("the tokens file decodes like faster-whisper's tokenizer, multi-byte characters included", async () => {
  const { modelDir } = await referenceSource();
  const texts = [" Hello, world!", " café naïve — ♪ 日本語 😀", " It's 3:45 p.m.; don't panic."];
  const script = `
import json, tokenizers
t = tokenizers.Tokenizer.from_file(${JSON.stringify(modelDir + "/tokenizer.json")})
out = []
for text in json.loads(${JSON.stringify(JSON.stringify(texts))}):
    ids = t.encode(text, add_special_tokens=False).ids
    out.append({"ids": ids, "text": t.decode(ids), "split": t.decode(ids[:-1])})
print(json.dumps(out))`;
  const cases = JSON.parse((await python(["-c", script])).stdout);
  const tokenizer = await WhisperTokenizer.load(`${TINY_EN}/tiny.en-tokens.txt`, 50256);
  for (const c of cases) {
    assert.equal(tokenizer.decode(c.ids), c.text);
    assert.equal(tokenizer.decode(c.ids.slice(0, -1)), c.split); // a cut through a character → U+FFFD, same as HF
    assert.equal(tokenizer.decode([50257, ...c.ids, 50256, 50400]), c.text, "special ids are skipped");
  }
  assert.throws(() => WhisperTokenizer.parse("not a token line\n", 10, "bad.txt"), /bad\.txt:1/);
});

Deno.test("int8 and int16 CTranslate2 weights are dequantized exactly and still transcribe", async () => {
  const { modelDir } = await referenceSource();
  const work = await Deno.makeTempDir();
  try {
    for (const quantization of ["int8", "int16"]) {
      const ct2 = `${work}/ct2-${quantization}`;
      const made = await python([VARIANT, modelDir, ct2, quantization]);
      assert.equal(made.code, 0, made.stderr);
      const check = JSON.parse((await python([VARIANT, "--check", modelDir, ct2])).stdout);
      assert.equal(check.dtype, quantization);
      assert.ok(check.compared > 100 && check.worst_steps <= 0.5001, JSON.stringify(check));
      const converted = await python([CONVERTER, ct2, `${work}/tiny.en`, "--name", "tiny.en"]);
      assert.equal(converted.code, 0, converted.stderr);
      const engine = await loadTinyEn({ modelsDir: work });
      try {
        const samples = (await speak({ text: SENTENCES[4], voice: "piper-joe" })).samples;
        const got = await engine.transcribe(samples);
        assert.ok(wordErrorRate(SENTENCES[4], got.text) <= 0.15, `${quantization}: "${got.text}"`);
      } finally {
        await engine.dispose();
      }
      await Deno.remove(`${work}/tiny.en`, { recursive: true });
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("the converter names the problem when the input is not a CTranslate2 Whisper model", async () => {
  const work = await Deno.makeTempDir();
  try {
    const missing = await python([CONVERTER, work, `${work}/out`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /has no model\.bin/);
    const { modelDir } = await referenceSource();
    const head = (await Deno.readFile(`${modelDir}/model.bin`)).subarray(0, 4096);
    await Deno.writeFile(`${work}/model.bin`, head);
    await Deno.copyFile(`${modelDir}/vocabulary.txt`, `${work}/vocabulary.txt`);
    const truncated = await python([CONVERTER, work, `${work}/out`]);
    assert.equal(truncated.code, 2);
    assert.match(truncated.stderr, /truncated/);
    assert.equal(await Deno.stat(`${work}/out/manifest.json`).catch(() => null), null, "no manifest for a failure");
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
