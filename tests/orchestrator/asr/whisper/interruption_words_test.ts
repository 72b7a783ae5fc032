/**
 * The interruption rule (`claimsTurn`: real words, no more letters than the speech can carry, and for speech under
 * 1 s a recognizer confidence of at least 0.4) measured on what Whisper tiny.en really makes of short sounds: short
 * interruptions said by four voices must stop the agent, while noise, coughs, breaths, clicks and fragments of
 * background voices (where Whisper invents "Right.", "I can't wait." at confidences up to 0.4) must not.
 *
 * @module
 */
import assert from "node:assert/strict";
import { claimsTurn } from "../../../../orchestrator/session/backchannel.ts";
import { babble, whiteNoise } from "../../../../harness/noise.ts";
import { concat, silence, speak, VOICES } from "../../../../harness/speech.ts";
import { loadTinyEn } from "../../../../harness/whisper_fixtures.ts";

const INTERRUPTIONS = [
  "Stop.",
  "Wait.",
  "No.",
  "Hold on.",
  "Sorry.",
  "Excuse me.",
  "Hang on.",
  "Actually, no.",
  "Stop, please.",
  "Wait a second.",
];

/** A one-pole low-pass filter (breath- and cough-like noise). */
function lowpass(x: Float32Array, a: number): Float32Array {
  const y = new Float32Array(x.length);
  let p = 0;
  for (let i = 0; i < x.length; i++) y[i] = p = p + a * (x[i] - p);
  return y;
}

/** Fades in and out over the whole sound (a half sine). */
const shaped = (x: Float32Array, gain = 1) => x.map((v, i) => gain * v * Math.sin((Math.PI * i) / x.length));

async function nonSpeechSounds(): Promise<Array<[name: string, samples: Float32Array]>> {
  const voices = await babble(3 * 16_000);
  const sounds: Array<[string, Float32Array]> = [];
  for (const ms of [120, 200, 350, 500]) {
    const n = ms * 16;
    sounds.push([`noise ${ms} ms`, whiteNoise(n, 0.3, ms)]);
    sounds.push([`cough ${ms} ms`, shaped(lowpass(whiteNoise(n, 0.5, ms + 1), 0.3), 1.5)]);
    sounds.push([`breath ${ms} ms`, shaped(lowpass(whiteNoise(n, 0.2, ms + 2), 0.05))]);
    sounds.push([`clicks ${ms} ms`, Float32Array.from({ length: n }, (_, i) => (i % 800 < 8 ? 0.8 : 0))]);
    for (const at of [0, 9_000, 21_000]) {
      sounds.push([`background voices ${ms} ms @${at}`, voices.slice(at, at + n).map((v) => v * 0.1)]);
    }
  }
  return sounds;
}

Deno.test("interruptions: short words from four voices stop the agent; noise and background voices do not", async () => {
  const engine = await loadTinyEn();
  const transcribe = async (samples: Float32Array) => {
    const utterance = engine.startUtterance({});
    utterance.push(samples);
    return await utterance.finish();
  };
  try {
    const missed: string[] = [];
    for (const voice of VOICES) {
      for (const text of INTERRUPTIONS) {
        const speech = await speak({ text, voice, leadMs: 250, tailMs: 300 });
        const heard = await transcribe(speech.samples);
        const speechMs = speech.speechEndMs - speech.speechStartMs;
        if (!claimsTurn(heard.text, speechMs, heard.confidence)) {
          missed.push(
            `${voice} "${text}" → "${heard.text}" (${speechMs} ms, confidence ${heard.confidence.toFixed(2)})`,
          );
        }
      }
    }
    const total = VOICES.length * INTERRUPTIONS.length;
    // Measured: 38 of 40; the two misses are misrecognitions ("Hold on." → "Ceville done." at 0.38).
    assert.ok(
      missed.length <= 3,
      `${missed.length} of ${total} real interruptions did not count:\n${missed.join("\n")}`,
    );

    const falseStops: string[] = [];
    for (const [name, samples] of await nonSpeechSounds()) {
      const heard = await transcribe(concat(silence(250), samples, silence(300)));
      if (claimsTurn(heard.text, samples.length / 16, heard.confidence)) {
        falseStops.push(`${name} → "${heard.text}" (confidence ${heard.confidence.toFixed(2)})`);
      }
    }
    assert.deepEqual(falseStops, [], "no non-speech sound or background voice stops the agent");
  } finally {
    await engine.dispose();
  }
});
