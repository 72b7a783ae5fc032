/**
 * The cut at the decoder: the two parts of the real joe voice give the samples of the whole model, a sentence decoded
 * in pieces joins into the same samples (the receptive field is covered), and a model that cannot be cut says why.
 */
import assert from "node:assert/strict";
import { chunkPlan, DEFAULT_CHUNK_PLAN, keepsAhead } from "../../../workers/piper/chunk_plan.ts";
import { splitAtDecoder } from "../../../workers/piper/decoder_split.ts";
import { OnnxVoice } from "../../../workers/piper/onnx_voice.ts";
import { getLogger } from "../../../shared/log/mod.ts";
import { JOE_ONNX, loadJoe, requireJoeVoice } from "./piper_fixtures.ts";

const SCALES = { noiseScale: 0, lengthScale: 1, noiseW: 0 };
const log = getLogger("test", "piper");

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, "sample counts differ");
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

Deno.test("chunk plan: a small first piece, growing pieces, windows with context, no tail shorter than the context", () => {
  const plan = chunkPlan(450);
  assert.deepEqual(plan.map((c) => [c.start, c.end]), [[0, 24], [24, 96], [96, 312], [312, 450]]);
  assert.deepEqual(plan[1], { start: 24, end: 96, from: 13, to: 107 });
  assert.equal(plan.at(-1)!.to, 450);
  // 24 + 72 leaves 12 frames, less than the 22 the cut would cost: decoded with the piece before.
  assert.deepEqual(chunkPlan(108).map((c) => [c.start, c.end]), [[0, 24], [24, 108]]);
  assert.deepEqual(chunkPlan(40).map((c) => [c.start, c.end]), [[0, 40]]);
  assert.deepEqual(chunkPlan(100, { ...DEFAULT_CHUNK_PLAN, firstFrames: 0 }).map((c) => [c.start, c.end]), [[0, 100]]);
});

Deno.test("chunk plan: pieces only while the decoder keeps ahead of playback, else the sentence whole", () => {
  const audioMsPerFrame = 256_000 / 22_050; // 11.6 ms
  const idle = { decodeMsPerFrame: 1.25, audioMsPerFrame };
  const loaded = { decodeMsPerFrame: 7.5, audioMsPerFrame };
  assert.ok(keepsAhead(chunkPlan(200), idle));
  assert.ok(!keepsAhead(chunkPlan(200), loaded));
  assert.equal(chunkPlan(200, DEFAULT_CHUNK_PLAN, idle).length, 3);
  assert.deepEqual(chunkPlan(200, DEFAULT_CHUNK_PLAN, loaded), [{ start: 0, end: 200, from: 0, to: 200 }]);
});

Deno.test("a file that is not a piper model is not cut, and says why", () => {
  assert.match(String((splitAtDecoder(new Uint8Array([0xff, 0xff, 0xff])) as { problem: string }).problem), /ONNX/);
  assert.match(String((splitAtDecoder(new Uint8Array(0)) as { problem: string }).problem), /no graph/);
});

Deno.test("the joe voice cut at its decoder, decoded whole or in pieces, gives the whole model's samples", async () => {
  await requireJoeVoice();
  const split = splitAtDecoder(await Deno.readFile(JOE_ONNX));
  assert.ok(!("problem" in split), "problem" in split ? split.problem : "");
  const whole = await OnnxVoice.load(JOE_ONNX, { device: "cpu", intraOpThreads: 1, split: false }, log);
  const cut = await OnnxVoice.load(JOE_ONNX, { device: "cpu", intraOpThreads: 1 }, log);
  const { model } = await loadJoe();
  try {
    assert.equal(whole.streaming, false);
    assert.equal(cut.streaming, true);
    const [ids] = model.phonemeIds("Although it was raining heavily all morning, we decided to go for a walk.");
    const reference = await whole.run(ids, SCALES).all();
    assert.ok(reference.length > 256 * 200, `${reference.length} samples`);
    assert.ok(maxDifference(await cut.run(ids, SCALES).all(), reference) < 1e-5, "whole decoder run");
    const pieces: Float32Array[] = [];
    // The pieces exactly as planned, whatever the machine's load (the speed check is off).
    for await (const piece of cut.run(ids, SCALES, 0, { ...DEFAULT_CHUNK_PLAN, keepAhead: false })) pieces.push(piece);
    assert.equal(pieces.length, chunkPlan(reference.length / 256).length);
    assert.equal(pieces[0].length, DEFAULT_CHUNK_PLAN.firstFrames * 256);
    const joined = new Float32Array(reference.length);
    let at = 0;
    for (const piece of pieces) (joined.set(piece, at), at += piece.length);
    const difference = maxDifference(joined, reference);
    assert.ok(difference < 1e-4, `pieces differ from the whole run by up to ${difference}`);
  } finally {
    await Promise.all([whole.dispose(), cut.dispose(), model.dispose()]);
  }
});

Deno.test("a run cancelled after its first piece stops, and the voice goes on serving runs", async () => {
  await requireJoeVoice();
  const { model } = await loadJoe();
  try {
    const [ids] = model.phonemeIds("This sentence is long enough to be decoded in several pieces, one after another.");
    const scales = model.scales({});
    const run = model.startSentence(ids, scales, 0, true);
    for await (const _piece of run) break; // the consumer leaves after the first piece
    const again = await Array.fromAsync(model.sentenceAudio(model.startSentence(ids, scales, 0, true)));
    const samples = again.reduce((n, p) => n + p.length, 0);
    assert.ok(samples > 22_050 * 2, `${samples} samples in ${again.length} pieces`);
  } finally {
    await model.dispose();
  }
});
