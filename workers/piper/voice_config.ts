/**
 * A Piper voice's `.onnx.json`: validated, with defaults as piper-tts applies them, and clear errors that name
 * the file and the field.
 *
 * @module
 */
import { z } from "zod";
import type { PhonemeIdMap } from "./phoneme_ids.ts";

/** Inference defaults when the config has no `inference` block (piper-tts's). */
export const DEFAULT_SCALES = { noiseScale: 0.667, lengthScale: 1, noiseW: 0.8 } as const;

const idList = z.array(z.number().int().min(0)).min(1);

const schema = z.object({
  audio: z.object({ sample_rate: z.number().int().min(1000).max(192_000) }),
  espeak: z.object({ voice: z.string().min(1) }).optional(),
  phoneme_type: z.enum(["espeak", "text"]).default("espeak"),
  phoneme_id_map: z.record(z.string(), idList).refine((m) => "^" in m && "$" in m && "_" in m, {
    message: 'must contain the BOS "^", EOS "$" and pad "_" phonemes',
  }),
  num_symbols: z.number().int().min(1).optional(),
  num_speakers: z.number().int().min(1).default(1),
  speaker_id_map: z.record(z.string(), z.number().int().min(0)).default({}),
  inference: z.object({
    noise_scale: z.number().min(0).optional(),
    length_scale: z.number().positive().optional(),
    noise_w: z.number().min(0).optional(),
  }).default({}),
  language: z.object({ code: z.string().optional() }).partial().optional(),
  dataset: z.string().optional(),
}).refine((c) => c.phoneme_type !== "espeak" || c.espeak, {
  message: 'espeak.voice is required when phoneme_type is "espeak"',
  path: ["espeak", "voice"],
});

/** The voice configuration the adapter uses. */
export interface PiperVoiceConfig {
  sampleRate: number;
  phonemeType: "espeak" | "text";
  /** espeak-ng voice, e.g. `en-us` (empty for text voices). */
  espeakVoice: string;
  phonemeIdMap: PhonemeIdMap;
  numSpeakers: number;
  speakerIdMap: Record<string, number>;
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
  /** BCP-47, e.g. `en-US` (from `language.code`, else from the espeak voice). */
  language: string;
  dataset?: string;
}

/** The config file is missing, not JSON, or fails validation. */
export class VoiceConfigError extends Error {
  constructor(readonly path: string, detail: string, options?: ErrorOptions) {
    super(`bad Piper voice config ${path}: ${detail}`, options);
    this.name = "VoiceConfigError";
  }
}

function bcp47(code: string | undefined, espeakVoice: string): string {
  const raw = code ?? espeakVoice;
  const [lang, region] = raw.replace("_", "-").split("-");
  if (!lang) return "und";
  return region ? `${lang.toLowerCase()}-${region.toUpperCase()}` : lang.toLowerCase();
}

/** Validates a parsed `.onnx.json`; `path` is only used in error messages. */
export function parseVoiceConfig(json: unknown, path: string): PiperVoiceConfig {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ");
    throw new VoiceConfigError(path, issues);
  }
  const c = result.data;
  const espeakVoice = c.espeak?.voice ?? "";
  return {
    sampleRate: c.audio.sample_rate,
    phonemeType: c.phoneme_type,
    espeakVoice,
    phonemeIdMap: new Map(Object.entries(c.phoneme_id_map)),
    numSpeakers: c.num_speakers,
    speakerIdMap: c.speaker_id_map,
    noiseScale: c.inference.noise_scale ?? DEFAULT_SCALES.noiseScale,
    lengthScale: c.inference.length_scale ?? DEFAULT_SCALES.lengthScale,
    noiseW: c.inference.noise_w ?? DEFAULT_SCALES.noiseW,
    language: bcp47(c.language?.code, espeakVoice),
    dataset: c.dataset,
  };
}

/** Reads and validates a voice's `.onnx.json`. */
export async function readVoiceConfig(path: string): Promise<PiperVoiceConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new VoiceConfigError(path, `cannot read it (${error instanceof Error ? error.message : error})`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new VoiceConfigError(path, `not valid JSON (${error instanceof Error ? error.message : error})`, {
      cause: error,
    });
  }
  return parseVoiceConfig(json, path);
}
