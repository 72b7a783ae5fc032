/**
 * The Whisper ASR engine on onnxruntime-node: implements the ASR contract with a model in the sherpa-onnx whisper
 * layout (see docs/ASR_MODELS.md), run in a worker thread.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import { type AsrEngine, AsrInputError, type Transcript, type Utterance, type UtteranceOptions } from "../contract.ts";
import { checkDuration, checkSamples } from "./audio_checks.ts";
import { locateModel } from "./model_info.ts";
import type { TranscriptionResult } from "./transcriber.ts";
import { toTranscript, type UtteranceSettings, WhisperUtterance } from "./utterance.ts";
import { WhisperWorkerClient } from "./worker_client.ts";
import type { RunOptions } from "./worker_protocol.ts";

const log = getLogger("asr", "whisper");

/** How to load and run the engine. */
export interface WhisperEngineOptions {
  /** Folder holding one sub-folder per model (`ASR_MODELS_DIR`, default `models/whisper`). */
  modelsDir: string;
  /** `ASR_MODEL_SIZE`: tiny | base | small | medium (| large-v3). */
  size: string;
  /** `ASR_LANGUAGE`: default language; `en` prefers the English-only `<size>.en` model. */
  language: string;
  /** Resolved `ASR_DEVICE` (see `resolveAsrDevice`). */
  device: "cpu" | "cuda";
  /** `ASR_PARTIAL_INTERVAL_MS`. */
  partialIntervalMs: number;
  /** Intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /** `STRICT_CONFIG`: a CUDA provider that cannot load fails the load instead of falling back to the CPU. */
  strict?: boolean;
  /** Use the `*.int8.onnx` graphs (faster, not bit-identical to the float reference). */
  int8?: boolean;
  /** Encoder window for finals: `full` (default, faster-whisper's numbers) or `fit` (see transcriber.ts). */
  finalWindow?: "full" | "fit";
  /** Padding frames after the audio in a `fit` final (default 1500; see docs/ASR_MODELS.md). */
  fitPaddingFrames?: number;
  /** Encoder window for partials: `fit` by default (cheap; a partial only needs to be close). */
  partialWindow?: "full" | "fit";
  /** Longest utterance accepted, seconds (default 120). */
  maxSeconds?: number;
}

/** Whisper behind the ASR contract. Create with {@linkcode WhisperEngine.load}. */
export class WhisperEngine implements AsrEngine {
  readonly name: string;
  readonly languages: readonly string[];

  private constructor(
    private readonly client: WhisperWorkerClient,
    private readonly options: WhisperEngineOptions,
  ) {
    this.name = `whisper-${client.model.name}`;
    this.languages = client.model.languages;
  }

  /** Finds the model, starts the worker and loads it; throws `WhisperModelError` naming the fix when files are missing. */
  static async load(options: WhisperEngineOptions): Promise<WhisperEngine> {
    const files = await locateModel(options.modelsDir, options.size, options.language, { int8: options.int8 });
    const started = performance.now();
    const client = await WhisperWorkerClient.start(files, options.device, options.threads ?? 0, {
      strict: options.strict,
    });
    const engine = new WhisperEngine(client, options);
    log.info("loaded {model} on {device} in {ms} ms", {
      model: engine.name,
      device: client.model.device,
      ms: Math.round(performance.now() - started),
    });
    return engine;
  }

  /** The device the model really runs on (`cpu` when CUDA was asked for but did not load). */
  get device(): "cpu" | "cuda" {
    return this.client.model.device;
  }

  startUtterance(options: UtteranceOptions = {}): Utterance {
    const language = this.languageFor(options.language);
    return new WhisperUtterance(this.client, this.settings(language), options);
  }

  async transcribe(samples: Float32Array, options: { language?: string } = {}): Promise<Transcript> {
    checkSamples(samples);
    checkDuration(samples.length, this.options.maxSeconds ?? 120);
    const run = this.settings(this.languageFor(options.language)).finalRun;
    const result = await this.client.submit(samples.slice(), run, "final").result;
    return toTranscript(result, true);
  }

  /**
   * Not part of the ASR contract: a final transcription with explicit window settings, returning the worker's full
   * result (per-stage timings, no-speech probability, stop reasons) — for benches and diagnostics.
   */
  async transcribeDetailed(
    samples: Float32Array,
    options: { language?: string; window?: "full" | "fit"; fitPaddingFrames?: number; draft?: number[] } = {},
  ): Promise<TranscriptionResult> {
    checkSamples(samples);
    checkDuration(samples.length, this.options.maxSeconds ?? 120);
    const run = { ...this.settings(this.languageFor(options.language)).finalRun, ...options };
    return await this.client.submit(samples.slice(), run, "final").result;
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }

  private languageFor(requested: string | undefined): string {
    const language = requested || this.options.language || "en";
    if (!this.client.model.isMultilingual) return "en"; // English-only models ignore the hint
    if (!this.languages.includes(language)) {
      throw new AsrInputError(`language '${language}' is not one of ${this.name}'s ${this.languages.length} languages`);
    }
    return language;
  }

  private settings(language: string): UtteranceSettings {
    const run = (window: "full" | "fit"): RunOptions => ({ language, window });
    return {
      partialIntervalMs: this.options.partialIntervalMs,
      minPartialSeconds: 0.3,
      maxSeconds: this.options.maxSeconds ?? 120,
      partialRun: run(this.options.partialWindow ?? "fit"),
      finalRun: { ...run(this.options.finalWindow ?? "full"), fitPaddingFrames: this.options.fitPaddingFrames ?? 1500 },
    };
  }
}
