/**
 * A Piper ONNX model on onnxruntime-node, run on its own thread (see `onnx_thread.ts`) so that inference never
 * blocks the event loop. Inputs `input` (int64 [1, T]), `input_lengths` (int64 [1]), `scales` (float32
 * [noise_scale, length_scale, noise_w]) and `sid` (int64 [1], multi-speaker voices only); the sample count is the
 * output's last dimension.
 *
 * @module
 */
import type { Logger } from "../../shared/log/mod.ts";
import type { LoadRequest, RunRequest } from "./onnx_thread.ts";

/** Where inference runs and how many threads one run may use. */
export interface OnnxVoiceOptions {
  device: "cpu" | "cuda";
  intraOpThreads: number;
}

/** The three synthesis scales in the model's order. */
export interface Scales {
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
}

const REQUIRED_INPUTS = ["input", "input_lengths", "scales"];

type Reply =
  | { type: "loaded"; device: string; inputs: string[]; warning?: string }
  | { type: "failed"; error: string }
  | { type: "result"; id: number; audio: Float32Array }
  | { type: "error"; id: number; error: string }
  | { type: "disposed" };

/** How long a thread may take to release its session before it is terminated anyway. */
const DISPOSE_TIMEOUT_MS = 2_000;

/** A loaded Piper model. Runs are queued on its thread, in order. */
export class OnnxVoice {
  readonly #thread: Worker;
  readonly #pending = new Map<number, { resolve: (a: Float32Array) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #dead: Error | null = null;

  private constructor(
    thread: Worker,
    /** `cpu` or `cuda:0`. */
    readonly device: string,
    readonly inputNames: readonly string[],
  ) {
    this.#thread = thread;
    thread.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      if (reply.type === "disposed") return this.#onDisposed();
      if (reply.type !== "result" && reply.type !== "error") return;
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.type === "result") waiter?.resolve(reply.audio);
      else waiter?.reject(new Error(`inference failed: ${reply.error}`));
    };
    thread.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`the inference thread crashed: ${event.message}`));
    };
  }

  /**
   * Loads `path` on a new thread. With device `cuda` the CUDA execution provider is tried first; when it cannot
   * load, the model runs on the CPU and a warning says so. Throws when the file is not a Piper model.
   */
  static async load(path: string, options: OnnxVoiceOptions, log: Logger): Promise<OnnxVoice> {
    const thread = new Worker(new URL("./onnx_thread.ts", import.meta.url).href, { type: "module" });
    const reply = await new Promise<Reply>((resolve) => {
      thread.onmessage = (event: MessageEvent<Reply>) => resolve(event.data);
      thread.onerror = (event) => {
        event.preventDefault();
        resolve({ type: "failed", error: event.message });
      };
      thread.postMessage({ type: "load", path, ...options } satisfies LoadRequest);
    });
    if (reply.type !== "loaded") {
      thread.terminate();
      throw new Error(reply.type === "failed" ? reply.error : "unexpected reply from the inference thread");
    }
    if (reply.warning) {
      log.warn("PIPER_DEVICE=cuda but the CUDA execution provider did not load ({error}); running on the CPU", {
        error: reply.warning,
      });
    }
    const missing = REQUIRED_INPUTS.filter((name) => !reply.inputs.includes(name));
    if (missing.length) {
      thread.terminate();
      throw new Error(`not a Piper model: inputs are ${reply.inputs.join(", ")}, missing ${missing.join(", ")}`);
    }
    return new OnnxVoice(thread, reply.device, reply.inputs);
  }

  /** True when the model takes a speaker id. */
  get takesSpeakerId(): boolean {
    return this.inputNames.includes("sid");
  }

  /** Runs one sentence of phoneme ids; resolves with the raw float samples. */
  run(ids: readonly number[], scales: Scales, speakerId = 0): Promise<Float32Array> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#thread.postMessage(
        {
          type: "run",
          id,
          ids: [...ids],
          scales: [scales.noiseScale, scales.lengthScale, scales.noiseW],
          speakerId: this.takesSpeakerId ? speakerId : null,
        } satisfies RunRequest,
      );
    });
  }

  #onDisposed = () => {};

  /**
   * Releases the session on its thread, then stops the thread; pending runs fail. Terminating a thread that still
   * holds a live onnxruntime session can crash the process at exit, hence the handshake.
   */
  async dispose(): Promise<void> {
    if (this.#dead?.message === "the model was unloaded") return;
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
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }
}
