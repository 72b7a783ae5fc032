/**
 * Opportunistic batching of VAD windows across streams. At most one model run is in flight; windows that arrive
 * while it runs wait and go together in the next run as one [N, 576] batch with state [2, N, 128]. An idle model
 * runs a lone window at once (no added latency); a busy one amortises the per-run overhead, which measured here
 * cuts the cost per window about 4× at 16 streams (see bench/vad_bench.ts).
 *
 * @module
 */
import { CONTEXT_SAMPLES, STATE_SIZE, WINDOW_SAMPLES, type WindowResult, type WindowRunner } from "./silero_stream.ts";

const INPUT_SIZE = CONTEXT_SAMPLES + WINDOW_SAMPLES;
const HALF_STATE = STATE_SIZE / 2;

/** Runs the model on `n` windows at once: `inputs` is [n, 576], `states` is [2, n, 128]. */
export type BatchRunner = (
  inputs: Float32Array,
  states: Float32Array,
  n: number,
) => Promise<{ probabilities: Float32Array; states: Float32Array }>;

interface Pending {
  input: Float32Array;
  state: Float32Array;
  resolve: (result: WindowResult) => void;
  reject: (err: unknown) => void;
}

/** A `WindowRunner` that batches the windows of every stream sharing one model. */
export class WindowBatcher implements WindowRunner {
  readonly #runBatch: BatchRunner;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  #running = false;

  constructor(runBatch: BatchRunner, maxBatch = 64) {
    this.#runBatch = runBatch;
    this.#maxBatch = maxBatch;
  }

  run(input: Float32Array, state: Float32Array): Promise<WindowResult> {
    return new Promise((resolve, reject) => {
      // Copied now: the caller's buffers belong to the caller once this returns.
      this.#queue.push({ input: input.slice(), state: state.slice(), resolve, reject });
      if (!this.#running) this.#pump();
    });
  }

  async #pump(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const results = await this.#runOne(batch);
          batch.forEach((pending, i) => pending.resolve(results[i]));
        } catch (err) {
          for (const pending of batch) pending.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #runOne(batch: Pending[]): Promise<WindowResult[]> {
    const n = batch.length;
    const inputs = new Float32Array(n * INPUT_SIZE);
    const states = new Float32Array(n * STATE_SIZE);
    batch.forEach(({ input, state }, i) => {
      inputs.set(input, i * INPUT_SIZE);
      // [2, 1, 128] per stream → [2, n, 128]: layer k of stream i sits at (k * n + i) * 128.
      states.set(state.subarray(0, HALF_STATE), i * HALF_STATE);
      states.set(state.subarray(HALF_STATE), (n + i) * HALF_STATE);
    });
    const out = await this.#runBatch(inputs, states, n);
    return batch.map((_, i) => {
      const state = new Float32Array(STATE_SIZE);
      state.set(out.states.subarray(i * HALF_STATE, (i + 1) * HALF_STATE), 0);
      state.set(out.states.subarray((n + i) * HALF_STATE, (n + i + 1) * HALF_STATE), HALF_STATE);
      return { probability: out.probabilities[i], state };
    });
  }
}
