/**
 * Intelligibility: 20 sentences synthesized through the streaming 48 kHz path are transcribed by a real recogniser
 * (faster-whisper tiny.en from the fixtures venv); the word error rate over all of them must be at most 15 %.
 */
import assert from "node:assert/strict";
import { soxEncode } from "../../../harness/sox.ts";
import { normaliseWords, wordErrorRate } from "../../../harness/wer.ts";
import { WIRE_SAMPLE_RATE } from "../../../shared/audio/format.ts";
import { jsonLines, loadJoe, oneText, runPython } from "./piper_fixtures.ts";

const SENTENCES = [
  "Hello there. How can I help you today?",
  "The quick brown fox jumps over the lazy dog.",
  "I would like to book a table for two people tonight.",
  "Could you please repeat that a little more slowly?",
  "The weather will be sunny and warm tomorrow afternoon.",
  "Please turn left at the next traffic light.",
  "My favorite color is blue, but my sister prefers green.",
  "The train to the city leaves in ten minutes.",
  "Thank you very much for your patience.",
  "We need to buy milk, bread and eggs at the store.",
  "The children played in the garden until it got dark.",
  "Can you tell me where the nearest pharmacy is?",
  "The meeting has been moved to Thursday morning.",
  "She reads a new book every week.",
  "Don't forget to water the plants while I'm away.",
  "The museum opens at nine and closes at five.",
  "It was a pleasure meeting you.",
  "Our flight was delayed because of heavy snow.",
  "Please keep your belongings with you at all times.",
  "Good night, and sleep well.",
];
const MAX_WER = 0.15;

Deno.test("20 synthesized sentences are transcribed by Whisper tiny.en with a word error rate of at most 15%", async () => {
  const { model } = await loadJoe();
  const dir = await Deno.makeTempDir({ prefix: "piper-wer-" });
  try {
    const files: string[] = [];
    for (const [i, text] of SENTENCES.entries()) {
      const parts: Int16Array[] = [];
      for await (const chunk of model.synthesize(oneText(text), {}, new AbortController().signal)) {
        parts.push(chunk.pcm);
      }
      const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const p of parts) for (const s of p) samples[offset++] = s / 32768;
      const file = `${dir}/${i}.wav`;
      await soxEncode(samples, WIRE_SAMPLE_RATE, file);
      files.push(file);
    }
    const transcripts = jsonLines<{ file: string; text: string }>(
      await runPython("tests/workers/piper/transcribe.py", files),
    );
    let errors = 0, words = 0;
    const rows = SENTENCES.map((text, i) => {
      const heard = transcripts[i]?.text ?? "";
      const n = normaliseWords(text).length;
      const wer = wordErrorRate(text, heard);
      errors += wer * n;
      words += n;
      return `  wer ${(wer * 100).toFixed(0).padStart(3)}%  ${JSON.stringify(text)} -> ${JSON.stringify(heard)}`;
    });
    const wer = errors / words;
    console.log(`intelligibility: WER ${(wer * 100).toFixed(1)}% over ${words} words\n${rows.join("\n")}`);
    assert.ok(wer <= MAX_WER, `WER ${(wer * 100).toFixed(1)}% > ${MAX_WER * 100}%`);
  } finally {
    await model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
