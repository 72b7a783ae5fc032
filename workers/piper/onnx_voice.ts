/**
 * A Piper ONNX model on onnxruntime-node, run on its own thread (see `onnx_thread.ts`) so that inference never
 * blocks the event loop. Inputs `input` (int64 [1, T]), `input_lengths` (int64 [1]), `scales` (float32
 * [noise_scale, length_scale, noise_w]) and `sid` (int64 [1], multi-speaker voices only); the sample count is the
 * output's last dimension. When the model could be cut at its decoder, a run yields its samples in pieces as they
 * are decoded (`streaming`); otherwise in one piece.
 *
 * @module
 */
import type { Logger } from "../../shared/log/mod.ts";
import type { ChunkPlanOptions } from "./chunk_plan.ts";
import type { LoadRequest, RunRequest } from "./onnx_thread.ts";

/** Where inference runs and how many threads one run may use. */
export interface OnnxVoiceOptions {
  device: "cpu" | "cuda";
  intraOpThreads: number;
  /** Cut the model at its decoder so that a sentence's audio can come in pieces (default true). */
  split?: boolean;
  /** With `cuda`: fail the load when the CUDA provider cannot load, instead of running on the CPU. */
  strict?: boolean;
}

/** The three synthesis scales in the model's order. */
export interface Scales {
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
}

const REQUIRED_INPUTS = ["input", "input_lengths", "scales"];

type Reply =
  | { type: "loaded"; device: string; inputs: string[]; streaming: boolean; splitProblem?: string; warning?: string }
  | { type: "failed"; error: string }
  | { type: "chunk"; id: number; audio: Float32Array; last: boolean; computeMs: number }
  | { type: "error"; id: number; error: string }
  | { type: "disposed" };

/**
 * How long a thread may take to release its sessions before it is terminated anyway (terminating one that still
 * holds a session can crash the process at exit; on a loaded machine releasing two sessions takes a while).
 */
const DISPOSE_TIMEOUT_MS = 10_000;

/** The samples of one sentence, in the pieces the thread posts; `cancel` stops decoding after the current piece. */
export class VoiceRun implements AsyncIterable<Float32Array> {
  readonly #pieces: Float32Array[] = [];
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  /** Inference time spent on the pieces delivered so far (ms), queueing excluded. */
  computeMs = 0;

  constructor(readonly cancel: () => void) {}

  /** Called by the voice with each piece. */
  deliver(piece: Float32Array, last: boolean, computeMs: number): void {
    this.computeMs += computeMs;
    this.#pieces.push(piece);
    this.#ended ||= last;
    this.#wake?.();
  }

  /** Called by the voice when the run failed. */
  fail(error: Error): void {
    this.#error = error;
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Float32Array> {
    try {
      while (true) {
        if (this.#pieces.length) {
          yield this.#pieces.shift()!;
          continue;
        }
        if (this.#error) throw this.#error;
        if (this.#ended) return;
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#wake = null;
      }
    } finally {
      if (!this.#ended) this.cancel();
    }
  }

  /** All pieces joined. */
  async all(): Promise<Float32Array> {
    const pieces: Float32Array[] = [];
    for await (const piece of this) pieces.push(piece);
    const out = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const piece of pieces) (out.set(piece, at), at += piece.length);
    return out;
  }
}

/** A loaded Piper model. Runs are queued on its thread, in order. */
export class OnnxVoice {
  readonly #thread: Worker;
  readonly #pending = new Map<number, VoiceRun>();
  #nextId = 1;
  #dead: Error | null = null;

  private constructor(
    thread: Worker,
    /** `cpu` or `cuda:0`. */
    readonly device: string,
    readonly inputNames: readonly string[],
    /** True when runs yield their samples in pieces as they are decoded. */
    readonly streaming: boolean,
  ) {
    this.#thread = thread;
    thread.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      if (reply.type === "disposed") return this.#onDisposed();
      if (reply.type !== "chunk" && reply.type !== "error") return;
      const run = this.#pending.get(reply.id);
      if (reply.type === "error" || reply.last) this.#pending.delete(reply.id);
      if (reply.type === "chunk") run?.deliver(reply.audio, reply.last, reply.computeMs);
      else run?.fail(new Error(`inference failed: ${reply.error}`));
    };
    thread.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`the inference thread crashed: ${event.message}`));
    };
  }

  /**
   * Loads `path` on a new thread. With device `cuda` the CUDA execution provider is tried first; when it cannot
   * load, the model runs on the CPU and a warning names the missing library (with `strict`, the load fails). Throws when the file is not a Piper model.
   */
  static async load(path: string, options: OnnxVoiceOptions, log: Logger): Promise<OnnxVoice> {
    const thread = new Worker(new URL("./onnx_thread.ts", import.meta.url).href, { type: "module" });
    const reply = await new Promise<Reply>((resolve) => {
      thread.onmessage = (event: MessageEvent<Reply>) => resolve(event.data);
      thread.onerror = (event) => {
        event.preventDefault();
        resolve({ type: "failed", error: event.message });
      };
      thread.postMessage({ type: "load", path, ...options, split: options.split ?? true } satisfies LoadRequest);
    });
    if (reply.type !== "loaded") {
      thread.terminate();
      throw new Error(reply.type === "failed" ? reply.error : "unexpected reply from the inference thread");
    }
    if (reply.splitProblem && (options.split ?? true)) {
      log.info("{path} runs whole, its audio comes per sentence: {problem}", { path, problem: reply.splitProblem });
    }
    if (reply.warning) {
      log.warn("PIPER_DEVICE=cuda: running on the CPU: {error}", { error: reply.warning });
    }
    const missing = REQUIRED_INPUTS.filter((name) => !reply.inputs.includes(name));
    if (missing.length) {
      thread.terminate();
      throw new Error(`not a Piper model: inputs are ${reply.inputs.join(", ")}, missing ${missing.join(", ")}`);
    }
    return new OnnxVoice(thread, reply.device, reply.inputs, reply.streaming);
  }

  /** True when the model takes a speaker id. */
  get takesSpeakerId(): boolean {
    return this.inputNames.includes("sid");
  }

  /**
   * Starts one sentence of phoneme ids; its raw float samples come in the pieces of `plan` (one piece without a
   * plan, or when the model runs whole).
   */
  run(
    ids: readonly number[],
    scales: Scales,
    speakerId = 0,
    plan: ChunkPlanOptions | null = null,
    sampleRate = 22_050,
  ): VoiceRun {
    const id = this.#nextId++;
    const run = new VoiceRun(() => {
      if (this.#pending.delete(id)) this.#thread.postMessage({ type: "cancel", id });
    });
    if (this.#dead) {
      run.fail(this.#dead);
      return run;
    }
    this.#pending.set(id, run);
    this.#thread.postMessage(
      {
        type: "run",
        id,
        ids: [...ids],
        scales: [scales.noiseScale, scales.lengthScale, scales.noiseW],
        speakerId: this.takesSpeakerId ? speakerId : null,
        plan,
        sampleRate,
      } satisfies RunRequest,
    );
    return run;
  }

  #onDisposed = () => {};

  /**
   * Releases the session on its thread, then stops the thread; pending runs fail. Terminating a thread that still
   * holds a live onnxruntime session can crash the process at exit, hence the handshake.
   */
  async dispose(): Promise<void> {
    if (this.#dead?.message === "the model was unloaded") return;
    // Runs still queued on the thread stop after their current piece, so that the release is not queued behind them.
    for (const id of this.#pending.keys()) this.#thread.postMessage({ type: "cancel", id });
    this.#fail(new Error("the model was unloaded"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#onDisposed = resolve;
      timer = setTimeout(resolve, DISPOSE_TIMEOUT_MS);
      this.#thread.postMessage({ type: "dispose" });
    });
    clearTimeout(timer);
    this.#thread.terminate();
  }

  #fail(error: Error): void {
    this.#dead = error;
    for (const run of this.#pending.values()) run.fail(error);
    this.#pending.clear();
  }
}
