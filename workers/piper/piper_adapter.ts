/**
 * The Piper adapter family: catalogues the voicepacks under `VOICEPACKS_DIR/piper/` and loads them on
 * onnxruntime-node (CPU, or CUDA when asked and available). A folder that is incomplete or whose config is bad is
 * left out of the catalogue with a warning; loading it fails with {@linkcode ModelLoadError} naming the problem.
 *
 * @module
 */
import { getLogger } from "../../shared/log/mod.ts";
import {
  type LoadedModel,
  MODEL_ID_PREFIX,
  type ModelDescriptor,
  ModelLoadError,
  ModelNotFoundError,
  type TtsAdapter,
} from "../runtime/adapter.ts";
import { findVoiceFiles, listVoiceFolders, type VoiceFiles } from "./catalog.ts";
import { Espeak } from "./espeak.ts";
import { OnnxVoice } from "./onnx_voice.ts";
import { PiperModel } from "./piper_model.ts";
import type { SpeechSpanOptions } from "./speech_spans.ts";
import { type PiperVoiceConfig, readVoiceConfig } from "./voice_config.ts";

const log = getLogger("worker", "piper");

/** Settings of the Piper adapter (from the worker config). */
export interface PiperAdapterOptions {
  voicepacksDir: string;
  device: "cpu" | "cuda";
  intraOpThreads: number;
  /** `STRICT_CONFIG`: a CUDA provider that cannot load fails the load instead of falling back to the CPU. */
  strict?: boolean;
  spans?: SpeechSpanOptions;
}

function describe(files: VoiceFiles, config: PiperVoiceConfig): ModelDescriptor {
  const name = files.onnx.slice(files.dir.length + 1, -".onnx".length);
  return {
    id: files.modelId,
    adapter: "piper",
    language: config.language,
    nativeSampleRate: config.sampleRate,
    numSpeakers: config.numSpeakers,
    description: `Piper voice ${name}${config.dataset ? ` (dataset ${config.dataset})` : ""}`,
  };
}

/** Piper voices from disk. */
export class PiperAdapter implements TtsAdapter {
  readonly type = "piper" as const;
  #device: string;

  constructor(readonly options: PiperAdapterOptions) {
    this.#device = options.device === "cuda" ? "cuda:0" : "cpu";
  }

  /** `cpu`, or `cuda:0` until a load finds the CUDA provider missing. */
  get device(): string {
    return this.#device;
  }

  async listModels(): Promise<ModelDescriptor[]> {
    const models: ModelDescriptor[] = [];
    for (const id of await listVoiceFolders(this.options.voicepacksDir)) {
      const found = await findVoiceFiles(this.options.voicepacksDir, id);
      if ("problem" in found) {
        log.warn("voice {model_id} left out of the catalogue: {problem}", { model_id: id, problem: found.problem });
        continue;
      }
      try {
        models.push(describe(found.files, await readVoiceConfig(found.files.config)));
      } catch (error) {
        log.warn("voice {model_id} left out of the catalogue: {problem}", { model_id: id, problem: String(error) });
      }
    }
    return models;
  }

  async load(modelId: string, signal?: AbortSignal): Promise<LoadedModel> {
    if (!modelId.startsWith(MODEL_ID_PREFIX.piper)) {
      throw new ModelNotFoundError(modelId, `Piper model ids start with "${MODEL_ID_PREFIX.piper}"`);
    }
    const found = await findVoiceFiles(this.options.voicepacksDir, modelId);
    if ("problem" in found) {
      throw new ModelNotFoundError(modelId, `${found.problem} (run \`deno task voices:fetch ${modelId}\`)`);
    }
    const files = found.files;
    const started = performance.now();
    let config: PiperVoiceConfig;
    let onnx: OnnxVoice;
    try {
      config = await readVoiceConfig(files.config);
      onnx = await OnnxVoice.load(files.onnx, this.options, log);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new ModelLoadError(modelId, `${files.onnx}: ${detail}`, { cause: error });
    }
    this.#device = onnx.device;
    if (signal?.aborted) {
      await onnx.dispose();
      throw signal.reason;
    }
    const espeak = config.phonemeType === "espeak" ? await this.#espeakFor(modelId, config, onnx) : null;
    const model = new PiperModel({
      descriptor: describe(files, config),
      config,
      onnx,
      espeak,
      log: log.with({ model_id: modelId }),
      spans: this.options.spans,
    });
    log.info("loaded {model_id} ({language}, {rate} Hz) on {device} in {ms} ms", {
      model_id: modelId,
      language: config.language,
      rate: config.sampleRate,
      device: onnx.device,
      ms: Math.round(performance.now() - started),
    });
    return model;
  }

  async #espeakFor(modelId: string, config: PiperVoiceConfig, onnx: OnnxVoice): Promise<Espeak> {
    try {
      const espeak = await Espeak.load();
      espeak.setVoice(config.espeakVoice);
      return espeak;
    } catch (error) {
      await onnx.dispose();
      throw new ModelLoadError(modelId, `espeak-ng voice "${config.espeakVoice}": ${error}`, { cause: error });
    }
  }
}
