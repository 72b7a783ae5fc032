/**
 * One VAD stream over the shared Silero model: cuts the incoming 16 kHz audio into 512-sample windows, prepends the
 * last 64 samples of the previous window (Silero's context), carries the recurrent state from window to window and
 * feeds each window's probability to the segmenter. Pushes are queued so they run in call order.
 *
 * @module
 */
import { SPEECH_SAMPLE_RATE } from "../../shared/audio/format.ts";
import type { VadCue, VadEvent, VadOptions, VadStream } from "./contract.ts";
import { SpeechSegmenter } from "./segmenter.ts";

/** New samples per model window at 16 kHz (32 ms). */
export const WINDOW_SAMPLES = 512;
/** Samples of the previous window prepended to each input, as Silero's own runtime does. */
export const CONTEXT_SAMPLES = 64;
/** Size of the recurrent state tensor [2, 1, 128]. */
export const STATE_SIZE = 2 * 128;

/** The result of one window. */
export interface WindowResult {
  probability: number;
  /** The recurrent state to feed into the next window. */
  state: Float32Array;
}

/** Runs the model on one window (`input`: CONTEXT_SAMPLES + WINDOW_SAMPLES, `state`: STATE_SIZE). */
export interface WindowRunner {
  run(input: Float32Array, state: Float32Array): Promise<WindowResult>;
}

const SAMPLES_PER_MS = SPEECH_SAMPLE_RATE / 1000;

/** A `VadStream` on Silero v5; made by `SileroVadModel.createStream`. */
export class SileroVadStream implements VadStream {
  readonly #runner: WindowRunner;
  readonly #segmenter: SpeechSegmenter;
  /** [context | window]: the model's input buffer, reused for every window. */
  readonly #input = new Float32Array(CONTEXT_SAMPLES + WINDOW_SAMPLES);
  #filled = 0;
  #state: Float32Array = new Float32Array(STATE_SIZE);
  #samplesIn = 0;
  #windows = 0;
  #lastProbability = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(runner: WindowRunner, options: VadOptions) {
    this.#runner = runner;
    this.#segmenter = new SpeechSegmenter(options);
  }

  get speaking(): boolean {
    return this.#segmenter.speaking;
  }

  get cue(): VadCue | null {
    return this.#segmenter.cue;
  }

  get lastProbability(): number {
    return this.#lastProbability;
  }

  get streamMs(): number {
    return this.#samplesIn / SAMPLES_PER_MS;
  }

  push(samples: Float32Array): Promise<VadEvent[]> {
    if (!(samples instanceof Float32Array)) {
      return Promise.reject(new TypeError(`VAD push needs a Float32Array of 16 kHz samples, got ${describe(samples)}`));
    }
    const bad = samples.findIndex((s) => !Number.isFinite(s));
    if (bad >= 0) {
      return Promise.reject(new RangeError(`VAD input sample ${bad} is ${samples[bad]}; audio must be finite numbers`));
    }
    // The caller may reuse its buffer as soon as push returns, while this push still waits in the queue.
    const copy = samples.slice();
    return this.#enqueue(() => this.#consume(copy));
  }

  flush(): Promise<VadEvent[]> {
    return this.#enqueue(() => {
      const event = this.#segmenter.flush(this.streamMs);
      return Promise.resolve(event ? [event] : []);
    });
  }

  async reset(): Promise<void> {
    await this.#enqueue(() => {
      this.#segmenter.reset();
      this.#input.fill(0);
      this.#state = new Float32Array(STATE_SIZE);
      this.#filled = 0;
      this.#samplesIn = 0;
      this.#windows = 0;
      this.#lastProbability = 0;
      return Promise.resolve([]);
    });
  }

  #enqueue(job: () => Promise<VadEvent[]>): Promise<VadEvent[]> {
    const result = this.#queue.then(job);
    // A failed window must not wedge the stream: later pushes still run.
    this.#queue = result.catch(() => {});
    return result;
  }

  async #consume(samples: Float32Array): Promise<VadEvent[]> {
    const events: VadEvent[] = [];
    let at = 0;
    while (at < samples.length) {
      const take = Math.min(WINDOW_SAMPLES - this.#filled, samples.length - at);
      this.#input.set(samples.subarray(at, at + take), CONTEXT_SAMPLES + this.#filled);
      this.#filled += take;
      this.#samplesIn += take;
      at += take;
      if (this.#filled < WINDOW_SAMPLES) break;
      const event = await this.#runWindow();
      if (event) events.push(event);
    }
    return events;
  }

  async #runWindow(): Promise<VadEvent | null> {
    const { probability, state } = await this.#runner.run(this.#input, this.#state);
    this.#state = state;
    this.#lastProbability = probability;
    // The tail of this window becomes the context of the next.
    this.#input.copyWithin(0, WINDOW_SAMPLES, WINDOW_SAMPLES + CONTEXT_SAMPLES);
    this.#filled = 0;
    const startMs = (this.#windows * WINDOW_SAMPLES) / SAMPLES_PER_MS;
    this.#windows++;
    return this.#segmenter.window(probability, startMs, startMs + WINDOW_SAMPLES / SAMPLES_PER_MS);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "an object";
}
