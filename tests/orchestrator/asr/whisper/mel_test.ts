/**
 * The TypeScript log-mel frontend against faster-whisper's FeatureExtractor (PyPI, run at test time): every value
 * within 1e-3, for real speech, silence, noise, clipped audio and clips shorter than one hop, at 80 and 128 bins.
 *
 * @module
 */
import assert from "node:assert/strict";
import { LogMelExtractor, melWindow } from "../../../../orchestrator/asr/whisper/mel.ts";
import { whiteNoise } from "../../../../harness/noise.ts";
import { speak } from "../../../../harness/speech.ts";
import { referenceSource, REPO } from "../../../../harness/whisper_fixtures.ts";

async function referenceMel(samples: Float32Array, nMels: number): Promise<{ data: Float32Array; frames: number }> {
  const { python } = await referenceSource();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/in.f32`, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    const out = await new Deno.Command(python, {
      args: [`${REPO}/scripts/whisper/reference_mel.py`, `${dir}/in.f32`, `${dir}/out.f32`, String(nMels)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    const [, frames] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
    const bytes = await Deno.readFile(`${dir}/out.f32`);
    return { data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), frames };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("log-mel matches faster-whisper's FeatureExtractor within 1e-3 (80 and 128 bins)", async () => {
  const speech = (await speak({ text: "Testing the mel frontend with a real voice.", voice: "piper-joe" })).samples;
  const signals: Array<[string, Float32Array]> = [
    ["speech", speech],
    ["silence", new Float32Array(16_000)],
    ["white noise", whiteNoise(24_000, 0.1, 3)],
    ["clipped speech", speech.map((v) => Math.max(-1, Math.min(1, v * 10)))],
    ["shorter than a hop", speech.slice(8_000, 8_100)],
    ["one sample", speech.slice(8_000, 8_001)],
  ];
  let worst = 0;
  for (const nMels of [80, 128]) {
    const extractor = new LogMelExtractor(nMels);
    for (const [what, samples] of signals) {
      const ours = extractor.compute(samples);
      const ref = await referenceMel(samples, nMels);
      assert.equal(ours.frames, ref.frames, `${what}/${nMels}: frame count`);
      assert.equal(ours.data.length, ref.data.length);
      let maxError = 0;
      for (let i = 0; i < ref.data.length; i++) maxError = Math.max(maxError, Math.abs(ours.data[i] - ref.data[i]));
      assert.ok(maxError <= 1e-3, `${what}/${nMels}: max |error| ${maxError}`);
      worst = Math.max(worst, maxError);
    }
  }
  console.log(`log-mel max |ours - faster-whisper| = ${worst.toExponential(2)}`);
});

Deno.test("melWindow pads with zeros after the content and crops to the window", () => {
  const mel = { data: Float32Array.from({ length: 2 * 5 }, (_, i) => i + 1), nMels: 2, frames: 5 };
  assert.deepEqual([...melWindow(mel, 1, 3, 6)], [2, 3, 4, 0, 0, 0, 7, 8, 9, 0, 0, 0]);
  assert.deepEqual([...melWindow(mel, 0, 5, 2)], [1, 2, 6, 7]);
});

Deno.test("the extractor refuses bin counts Whisper never uses", () => {
  assert.throws(() => new LogMelExtractor(64), RangeError);
});
