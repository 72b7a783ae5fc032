/**
 * Reference equality: with noise_scale = noise_w = 0 the voice is deterministic, so our audio for the same text
 * must match piper-tts's sample for sample up to float rounding. Compared at the voice's native 22050 Hz (before
 * our resampling), as the best normalized cross-correlation over small lags.
 */
import assert from "node:assert/strict";
import { resolveRepoPath } from "../../../harness/sox.ts";
import { normalizePeak } from "../../../workers/piper/piper_model.ts";
import { cachedText, fingerprint, JOE_ONNX, jsonLines, loadJoe, requireJoeVoice, runPython } from "./piper_fixtures.ts";

const SENTENCES = [
  "Hello there. How can I help you today?",
  "The quick brown fox jumps over the lazy dog.",
  "Could you please repeat that a little more slowly?",
  "She bought 3 apples, 12 oranges and 150 grams of cheese.",
  "Dr. Smith will see you at 3:30 p.m. tomorrow.",
  '"Are you sure?" she asked.',
  "It was the best of times; it was the worst of times.",
  "Although it was raining, we decided to go for a walk along the river.",
  "Your order number is 48213.",
  "Wow, that's amazing!",
];
const REFERENCE = "bench/reference/piper_reference.py";
const MAX_LAG = 32;

/** Best normalized cross-correlation of `a` and `b` over lags in [-maxLag, maxLag]. */
export function bestCorrelation(a: Float32Array, b: Float32Array, maxLag: number): { ncc: number; lag: number } {
  let best = { ncc: -1, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let dot = 0, ea = 0, eb = 0;
    const from = Math.max(0, -lag);
    const to = Math.min(a.length, b.length - lag);
    for (let i = from; i < to; i++) {
      const x = a[i], y = b[i + lag];
      dot += x * y;
      ea += x * x;
      eb += y * y;
    }
    const ncc = ea > 0 && eb > 0 ? dot / Math.sqrt(ea * eb) : 0;
    if (ncc > best.ncc) best = { ncc, lag };
  }
  return best;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) (out.set(p, offset), offset += p.length);
  return out;
}

Deno.test("with noise 0, our native audio matches piper-tts's (normalized cross-correlation >= 0.99)", async () => {
  await requireJoeVoice();
  const key = await fingerprint(["synth", ...SENTENCES], [JOE_ONNX + ".json", resolveRepoPath(REFERENCE)]);
  const outDir = resolveRepoPath(`.cache/piper-tests/synth-${key}`);
  const made = async () => {
    const args = ["synth", "--model", JOE_ONNX, "--noise-scale", "0", "--noise-w", "0", "--out-dir", outDir];
    return await runPython(REFERENCE, args, SENTENCES.join("\n"));
  };
  let index = jsonLines<{ index: number; file: string; samples: number }>(await cachedText(`synth-${key}.jsonl`, made));
  if (!(await Deno.stat(index[0].file).then(() => true, () => false))) index = jsonLines(await made());

  const { model } = await loadJoe();
  try {
    const rows: string[] = [];
    let worst = 1;
    for (const [i, text] of SENTENCES.entries()) {
      const bytes = await Deno.readFile(index[i].file);
      const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      // piper-tts scales each sentence to a peak of 1; ours has one gain per voice, so compare sentence by sentence.
      const ours = concat((await model.synthesizeNative(text, { noiseScale: 0, noiseW: 0 })).map(normalizePeak));
      const { ncc, lag } = bestCorrelation(ours, theirs, MAX_LAG);
      worst = Math.min(worst, ncc);
      rows.push(`  ncc ${ncc.toFixed(5)} lag ${lag} samples ${ours.length}/${theirs.length}  ${JSON.stringify(text)}`);
      assert.ok(Math.abs(ours.length - theirs.length) <= 512, `lengths ${ours.length} vs ${theirs.length}: ${text}`);
    }
    console.log(`reference equality (22050 Hz, noise 0), worst ncc ${worst.toFixed(5)}:\n${rows.join("\n")}`);
    assert.ok(worst >= 0.99, `worst normalized cross-correlation ${worst.toFixed(4)} < 0.99`);
  } finally {
    await model.dispose();
  }
});
