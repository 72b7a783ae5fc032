/**
 * Noise for robustness cases: seeded white noise, babble made of real-voice speech, and mixing at a given SNR.
 *
 * @module
 */
import { rms } from "../shared/audio/pcm.ts";
import { seededRandom as random } from "./random.ts";
import { speak, type SpokenAudio, type Voice } from "./speech.ts";

/** Gaussian white noise with the given RMS (Box–Muller over the seeded PRNG). */
export function whiteNoise(length: number, rms = 0.05, seed = 1): Float32Array {
  const next = random(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next())) * rms;
    const phi = 2 * Math.PI * next();
    out[i] = r * Math.cos(phi);
    if (i + 1 < length) out[i + 1] = r * Math.sin(phi);
  }
  return out;
}

/** A burst of white noise `ms` long (e.g. a door slam or a cough stand-in for VAD cases). */
export function noiseBurst(
  ms: number,
  options: { sampleRate?: number; rms?: number; seed?: number } = {},
): Float32Array {
  const sampleRate = options.sampleRate ?? 16_000;
  return whiteNoise(Math.round((ms * sampleRate) / 1000), options.rms ?? 0.1, options.seed ?? 7);
}

const BABBLE_LINES: ReadonlyArray<[Voice, string]> = [
  ["flite-slt", "I think the meeting moved to Thursday afternoon, so we should tell everyone before lunch."],
  ["flite-rms", "The delivery truck was late again and nobody knew where the spare keys had gone."],
  ["espeak", "Could you pass me the salt please, and maybe some of that bread as well."],
  ["piper-joe", "We walked along the river for an hour and then found a small cafe near the bridge."],
];

/** Babble: four real voices talking at once, looped to `length` samples, scaled to unit RMS. */
export async function babble(length: number, sampleRate = 16_000): Promise<Float32Array> {
  const out = new Float32Array(length);
  for (const [index, [voice, text]] of BABBLE_LINES.entries()) {
    const talker = (await speak({ text, voice, leadMs: 0, tailMs: 150, sampleRate })).samples;
    // Each talker starts at a different point of its line so that their pauses do not line up.
    const offset = Math.floor((talker.length * index) / BABBLE_LINES.length);
    for (let i = 0; i < length; i++) out[i] += talker[(i + offset) % talker.length];
  }
  return scaleToRms(out, 1);
}

/**
 * Adds noise to an utterance at `snrDb` (speech power measured over its speech region only); timing is kept.
 * The result's `wavPath` still names the clean recording.
 */
export async function mixNoise(
  audio: SpokenAudio,
  options: { kind: "white" | "babble"; snrDb: number; seed?: number },
): Promise<SpokenAudio> {
  const { samples, sampleRate } = audio;
  const from = Math.round((audio.speechStartMs * sampleRate) / 1000);
  const to = Math.round((audio.speechEndMs * sampleRate) / 1000);
  const speechRms = rms(samples.subarray(from, to));
  const noiseRms = speechRms / 10 ** (options.snrDb / 20);
  const noise = options.kind === "white"
    ? whiteNoise(samples.length, noiseRms, options.seed ?? 1)
    : scaleToRms(await babble(samples.length, sampleRate), noiseRms);
  const mixed = new Float32Array(samples.length);
  for (let i = 0; i < mixed.length; i++) mixed[i] = Math.max(-1, Math.min(1, samples[i] + noise[i]));
  return { ...audio, samples: mixed };
}

function scaleToRms(samples: Float32Array, target: number): Float32Array {
  const gain = target / (rms(samples) || 1);
  for (let i = 0; i < samples.length; i++) samples[i] *= gain;
  return samples;
}
