/**
 * Microphone recordings for the fake capture device: real-voice sentences (harness/speech.ts) and silences
 * joined into one 48 kHz 16-bit WAV, with the time each sentence ends, so a test knows what the page heard when.
 *
 * @module
 */
import { float32ToInt16 } from "../../shared/audio/pcm.ts";
import { writeWav } from "../../shared/audio/wav.ts";
import { concat, silence, speak } from "../../harness/speech.ts";

const RATE = 48_000;

/** One part of a recording: a sentence or a pause. */
export type Part = { say: string } | { pauseMs: number };

/** A recording on disk. */
export interface Recording {
  path: string;
  durationMs: number;
  /** Each sentence with the times (ms from the start) its speech begins and ends. */
  sentences: Array<{ text: string; startMs: number; endMs: number }>;
}

/** Synthesises the parts (Piper's joe voice) and writes them as one WAV file in a temp folder. */
export async function recording(parts: Part[]): Promise<Recording> {
  const chunks: Float32Array[] = [];
  const sentences: Recording["sentences"] = [];
  let at = 0;
  for (const part of parts) {
    if ("pauseMs" in part) {
      chunks.push(silence(part.pauseMs, RATE));
      at += part.pauseMs;
      continue;
    }
    const spoken = await speak({ text: part.say, voice: "piper-joe", leadMs: 0, tailMs: 0, sampleRate: RATE });
    chunks.push(spoken.samples);
    const lengthMs = (spoken.samples.length * 1000) / RATE;
    sentences.push({ text: part.say, startMs: at, endMs: at + lengthMs });
    at += lengthMs;
  }
  const path = await Deno.makeTempFile({ prefix: "fake-mic-", suffix: ".wav" });
  await Deno.writeFile(path, writeWav({ sampleRate: RATE, samples: float32ToInt16(concat(...chunks)) }));
  return { path, durationMs: at, sentences };
}
