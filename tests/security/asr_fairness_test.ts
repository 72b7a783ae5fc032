/**
 * Fair ASR scheduling with the real Whisper engine (tiny.en on onnxruntime): a session that keeps ending utterances
 * of noisy speech faster than the engine can transcribe them builds a backlog of finals; another session's one normal
 * utterance must still get its final about as fast as alone. The noisy session is fed faster than real time, which
 * on tiny.en stands for what a real-time session costs with a larger model on a CPU or a loaded machine.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AsrEngine } from "../../orchestrator/asr/contract.ts";
import { concat } from "../../harness/speech.ts";
import { speak } from "../../harness/speech.ts";
import { whiteNoise } from "../../harness/noise.ts";
import { loadTinyEn, SENTENCES } from "../../harness/whisper_fixtures.ts";
import { wordErrorRate } from "../../harness/wer.ts";

/** The final of a quiet session's utterance may take at most this many times its time alone. */
const MAX_RATIO = 3;

const say = async (text: string) => (await speak({ text, voice: "piper-joe", leadMs: 200, tailMs: 300 })).samples;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Milliseconds from `finish()` to the final of one utterance in `session` (all audio pushed first). */
async function finalLatency(engine: AsrEngine, session: string, samples: Float32Array): Promise<[number, string]> {
  const utterance = engine.startUtterance({ session, onPartial: () => {} });
  utterance.push(samples);
  const started = performance.now();
  const final = await utterance.finish();
  return [performance.now() - started, final.text];
}

/** Speech mixed with white noise at the speech's level. */
function noisy(speech: Float32Array, seed: number): Float32Array {
  const noise = whiteNoise(speech.length, 0.05, seed);
  return speech.map((s, i) => Math.max(-1, Math.min(1, s + noise[i])));
}

Deno.test("asr fairness: one session's backlog of noisy utterances does not hold back another session's final", async () => {
  const engine = await loadTinyEn({ finalWindow: "fit", partialIntervalMs: 200 });
  try {
    const quiet = await say(SENTENCES[3]);
    const noise = noisy(concat(await say(SENTENCES[6]), await say(SENTENCES[8])), 3);
    await engine.transcribe(quiet); // warm-up
    const alone: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [ms, text] = await finalLatency(engine, "quiet", quiet);
      assert.ok(wordErrorRate(SENTENCES[3], text) <= 0.15, `alone: "${text}"`);
      alone.push(ms);
    }
    const aloneMs = alone.sort((a, b) => a - b)[1];

    // The noisy session: one utterance that keeps recording (partials), and an utterance ended every 100 ms.
    let stop = false;
    const noisyFinals: Promise<unknown>[] = [];
    const recording = engine.startUtterance({ session: "noisy", onPartial: () => {} });
    const flood = (async () => {
      for (let i = 0; !stop && i < 40; i++) {
        const utterance = engine.startUtterance({ session: "noisy", onPartial: () => {} });
        utterance.push(noise);
        recording.push(noise.subarray(0, 1600));
        noisyFinals.push(utterance.finish());
        await sleep(100);
      }
    })();
    await sleep(1200); // about 12 noisy finals submitted, most still queued
    const quietFinal = finalLatency(engine, "quiet", quiet);
    stop = true;
    await flood;
    const [withNoiseMs, text] = await quietFinal;
    recording.cancel();
    const settled = await Promise.allSettled(noisyFinals);
    const ratio = withNoiseMs / aloneMs;
    console.log(
      `quiet final alone ${aloneMs.toFixed(0)} ms, beside the noisy session ${withNoiseMs.toFixed(0)} ms ` +
        `(ratio ${ratio.toFixed(2)}); noisy finals ${settled.length}`,
    );
    assert.ok(wordErrorRate(SENTENCES[3], text) <= 0.15, `beside the noisy session: "${text}"`);
    assert.ok(
      ratio <= MAX_RATIO,
      `the quiet session's final took ${withNoiseMs.toFixed(0)} ms beside the noisy one, ${ratio.toFixed(1)}× its ` +
        `${aloneMs.toFixed(0)} ms alone (bound ${MAX_RATIO}×)`,
    );
    // Finals are never dropped to make room: every noisy utterance got its final.
    assert.ok(settled.every((s) => s.status === "fulfilled"), "a noisy final was dropped or failed");
  } finally {
    await engine.dispose();
  }
});
