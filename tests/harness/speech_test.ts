import assert from "node:assert/strict";
import { rms } from "../../shared/audio/pcm.ts";
import { mixNoise } from "../../harness/noise.ts";
import { speak, VOICES } from "../../harness/speech.ts";
import { wordErrorRate } from "../../harness/wer.ts";

Deno.test("speak pads every voice with exactly the asked silence and caches the result", async () => {
  for (const voice of VOICES) {
    for (const sampleRate of [16_000, 48_000]) {
      const audio = await speak({ text: "Testing one two three.", voice, leadMs: 400, tailMs: 700, sampleRate });
      const perMs = sampleRate / 1000;
      const lead = audio.samples.subarray(0, audio.speechStartMs * perMs);
      const tail = audio.samples.subarray(Math.round(audio.speechEndMs * perMs));
      assert.equal(audio.speechStartMs, 400);
      assert.equal(Math.round(tail.length / perMs), 700, `${voice}@${sampleRate}: tail`);
      assert.equal(rms(lead), 0, `${voice}@${sampleRate}: the lead is digital silence`);
      assert.equal(rms(tail), 0, `${voice}@${sampleRate}: the tail is digital silence`);
      const speech = audio.samples.subarray(lead.length, audio.samples.length - tail.length);
      assert.ok(rms(speech) > 0.01, `${voice}@${sampleRate}: speech is audible (rms ${rms(speech)})`);
      const again = await speak({ text: "Testing one two three.", voice, leadMs: 400, tailMs: 700, sampleRate });
      assert.deepEqual(again.samples, audio.samples, `${voice}@${sampleRate}: a rerun reads the cached samples`);
    }
  }
});

Deno.test("mixNoise hits the asked SNR over the speech and keeps the timing", async () => {
  const clean = await speak({ text: "Testing one two three.", leadMs: 300, tailMs: 300 });
  for (const kind of ["white", "babble"] as const) {
    const noisy = await mixNoise(clean, { kind, snrDb: 10 });
    assert.equal(noisy.speechStartMs, clean.speechStartMs);
    const noise = noisy.samples.map((s, i) => s - clean.samples[i]);
    const speech = clean.samples.subarray(clean.speechStartMs * 16, Math.round(clean.speechEndMs * 16));
    const snr = 20 * Math.log10(rms(speech) / rms(noise));
    assert.ok(Math.abs(snr - 10) < 0.5, `${kind}: SNR ${snr.toFixed(2)} dB`);
  }
});

Deno.test("word error rate ignores case and punctuation and counts edits per reference word", () => {
  assert.equal(wordErrorRate("Hello, world!", "hello world"), 0);
  assert.equal(wordErrorRate("the quick brown fox", "the quick fox"), 0.25);
  assert.equal(wordErrorRate("the quick brown fox", "a quick brown fox jumps"), 0.5);
  assert.equal(wordErrorRate("", ""), 0);
  assert.equal(wordErrorRate("", "you"), 1);
  assert.equal(wordErrorRate("don't stop", "dont stop"), 0.5);
});
