/**
 * A CosyVoice 2 voicepack on disk (`VOICEPACKS_DIR/cosyvoice/<name>/`, model id `cosyvoice2-<name>`), as written by
 * `scripts/cosyvoice/export.py`: ONNX graphs, `tokenizer.json`, the flow's fixed noise, an enrolled voice and
 * `voicepack.json` listing every file with its size and sha256. Reading a pack checks all of it and names the file
 * at fault.
 *
 * @module
 */
import { join } from "node:path";
import type { SamplingConfig } from "./sampling.ts";

/** Graph files every pack holds. */
export const GRAPH_FILES = [
  "llm.onnx",
  "flow_encoder_stream.onnx",
  "flow_encoder_final.onnx",
  "flow_estimator_stream.onnx",
  "flow_estimator_full.onnx",
  "hift_f0.onnx",
  "hift_decoder.onnx",
] as const;

/** The manifest, `voicepack.json`. */
export interface VoicepackManifest {
  format: string;
  source: { kind: string; size?: string; seed?: number };
  language: string;
  sample_rate: number;
  text_vocab: number;
  llm: { layers: number; kv_heads: number; head_dim: number; hidden: number };
  speech: { vocab: number; eos: number; stop_ids: number[]; fill: number };
  sampling: SamplingConfig & { min_ratio: number; max_ratio: number };
  flow: { steps: number; cfg_rate: number; token_mel_ratio: number; lookahead: number; noise_shape: number[] };
  stream: { token_hop: number; mel_cache: number; source_cache: number };
  hift: {
    n_fft: number;
    hop: number;
    upsample: number;
    harmonics: number;
    sine_amp: number;
    noise_std: number;
    voiced_threshold: number;
    audio_limit: number;
    merge_weight: number[];
    merge_bias: number;
  };
  voice: {
    prompt_text: string;
    prompt_text_ids: number[];
    prompt_speech_tokens: number[];
    prompt_mel_shape: number[];
    embedding: number[];
    provenance: string;
  };
  files: Record<string, { bytes: number; sha256: string }>;
}

/** A pack read and checked: its manifest, folder and the arrays the worker keeps in memory. */
export interface Voicepack {
  dir: string;
  manifest: VoicepackManifest;
  /** The flow's start noise, [80, noise frames] row-major. */
  noise: Float32Array;
  /** The prompt mel, [frames, 80] row-major. */
  promptMel: Float32Array;
}

/** The pack is missing, incomplete or corrupt; the message names the file. */
export class VoicepackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VoicepackError";
  }
}

const FORMAT = "cosyvoice2-voicepack/1";

async function sha256(path: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readF32(path: string, expected: number): Promise<Float32Array> {
  const bytes = await Deno.readFile(path);
  if (bytes.byteLength !== expected * 4) {
    throw new VoicepackError(`${path}: ${bytes.byteLength} bytes, the manifest's shape needs ${expected * 4}`);
  }
  return new Float32Array(bytes.buffer, bytes.byteOffset, expected);
}

/** Reads `dir/voicepack.json` and checks every listed file (presence, size, and sha256 unless `verify` is false). */
export async function readVoicepack(dir: string, options: { verify?: boolean } = {}): Promise<Voicepack> {
  const manifestPath = join(dir, "voicepack.json");
  let manifest: VoicepackManifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(manifestPath));
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "not found" : `unreadable: ${(error as Error).message}`;
    throw new VoicepackError(`${manifestPath} ${why}`);
  }
  if (manifest?.format !== FORMAT) {
    throw new VoicepackError(`${manifestPath}: format ${JSON.stringify(manifest?.format)}, expected ${FORMAT}`);
  }
  const problems: string[] = [];
  for (const name of [...GRAPH_FILES, "tokenizer.json", "flow_noise.f32", "voice_mel.f32"]) {
    if (!manifest.files?.[name]) problems.push(`${join(dir, name)} is not listed in voicepack.json`);
  }
  for (const [name, entry] of Object.entries(manifest.files ?? {})) {
    const path = join(dir, name);
    const info = await Deno.stat(path).catch(() => null);
    if (!info) problems.push(`${path} is missing`);
    else if (info.size !== entry.bytes) {
      problems.push(`${path} has ${info.size} bytes, voicepack.json says ${entry.bytes}`);
    } else if (options.verify !== false && (await sha256(path)) !== entry.sha256) {
      problems.push(`${path} is corrupt (sha256 differs from voicepack.json)`);
    }
  }
  if (problems.length) throw new VoicepackError(problems.join("; "));
  const [noiseChannels, noiseFrames] = manifest.flow.noise_shape;
  const [melFrames, melBins] = manifest.voice.prompt_mel_shape;
  if (noiseChannels !== 80 || melBins !== 80 || melFrames !== 2 * manifest.voice.prompt_speech_tokens.length) {
    throw new VoicepackError(`${manifestPath}: noise ${manifest.flow.noise_shape} / prompt mel shapes do not fit`);
  }
  return {
    dir,
    manifest,
    noise: await readF32(join(dir, "flow_noise.f32"), noiseChannels * noiseFrames),
    promptMel: await readF32(join(dir, "voice_mel.f32"), melFrames * melBins),
  };
}
