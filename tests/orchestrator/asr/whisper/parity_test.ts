/**
 * Our Whisper engine against faster-whisper on the same tiny.en weights (converted by scripts/whisper/ct2_to_onnx.py):
 * 60 real-voice utterances (Piper joe, flite rms and slt, espeak-ng). Greedy transcripts must be identical on
 * ≥ 95 % of them and the corpus WER within 1 point of the reference's; on the 30 clean Piper sentences our WER must
 * be ≤ 10 %.
 *
 * @module
 */
import assert from "node:assert/strict";
import { speak, type SpokenAudio, type Voice } from "../../../../harness/speech.ts";
import { normaliseWords, wordErrorRate } from "../../../../harness/wer.ts";
import { loadTinyEn, referenceTranscripts, SENTENCES } from "../../../../harness/whisper_fixtures.ts";

/** Corpus WER: all word errors over all reference words. */
function corpusWer(pairs: Array<[string, string]>): number {
  let errors = 0, words = 0;
  for (const [truth, said] of pairs) {
    const n = normaliseWords(truth).length;
    errors += wordErrorRate(truth, said) * n;
    words += n;
  }
  return errors / words;
}

async function utterances(): Promise<SpokenAudio[]> {
  const plan: Array<[Voice, string]> = [
    ...SENTENCES.map((t): [Voice, string] => ["piper-joe", t]),
    ...SENTENCES.slice(0, 10).map((t): [Voice, string] => ["flite-rms", t]),
    ...SENTENCES.slice(10, 20).map((t): [Voice, string] => ["flite-slt", t]),
    ...SENTENCES.slice(20, 30).map((t): [Voice, string] => ["espeak", t]),
  ];
  const out: SpokenAudio[] = [];
  for (const [voice, text] of plan) out.push(await speak({ text, voice, leadMs: 300, tailMs: 400 }));
  return out;
}

Deno.test("whisper tiny.en: greedy transcripts match faster-whisper on ≥ 95 % of 60 real-voice utterances", async () => {
  const audio = await utterances();
  const reference = await referenceTranscripts(audio.map((a) => a.wavPath), "float32");
  const engine = await loadTinyEn();
  const ours: string[] = [];
  try {
    for (const a of audio) ours.push((await engine.transcribe(a.samples)).text);
  } finally {
    await engine.dispose();
  }
  const mismatches = audio
    .map((a, i) => ({ voice: a.voice, ours: ours[i], reference: reference[i].text }))
    .filter((m) => m.ours !== m.reference);
  const identical = 1 - mismatches.length / audio.length;
  const werOurs = corpusWer(audio.map((a, i) => [a.text, ours[i]]));
  const werReference = corpusWer(audio.map((a, i) => [a.text, reference[i].text]));
  const piper = audio.map((a, i) => ({ a, i })).filter(({ a }) => a.voice === "piper-joe");
  const werPiper = corpusWer(piper.map(({ a, i }) => [a.text, ours[i]]));
  const werPiperReference = corpusWer(piper.map(({ a, i }) => [a.text, reference[i].text]));
  console.log(
    `parity: ${(identical * 100).toFixed(1)} % identical (${audio.length - mismatches.length}/${audio.length}); ` +
      `WER ours ${(werOurs * 100).toFixed(2)} % vs faster-whisper ${(werReference * 100).toFixed(2)} %; ` +
      `Piper (${piper.length}) ours ${(werPiper * 100).toFixed(2)} % vs ${(werPiperReference * 100).toFixed(2)} %`,
  );
  for (const m of mismatches) console.log(`  [${m.voice}] ours "${m.ours}" | faster-whisper "${m.reference}"`);
  assert.ok(identical >= 0.95, `only ${(identical * 100).toFixed(1)} % of transcripts equal faster-whisper's`);
  assert.ok(Math.abs(werOurs - werReference) <= 0.01, `WER ${werOurs} vs reference ${werReference}`);
  assert.ok(werPiper <= 0.1, `WER on the Piper sentences is ${(werPiper * 100).toFixed(1)} % (> 10 %)`);
});
