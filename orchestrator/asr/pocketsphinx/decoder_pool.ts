/**
 * A pool of loaded decoders: one per utterance in flight, reused across utterances so that no utterance waits for a
 * model load once the pool is warm. Grows on demand up to `max`; beyond that, utterances wait for a free decoder.
 *
 * @module
 */
import { PocketsphinxDecoder } from "./decoder.ts";

/** Decoders for one model folder. */
export class DecoderPool {
  readonly #modelDir: string;
  readonly #max: number;
  readonly #idle: PocketsphinxDecoder[] = [];
  readonly #waiting: Array<(decoder: PocketsphinxDecoder) => void> = [];
  #loaded = 0;
  #closed = false;

  constructor(modelDir: string, max: number) {
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`pocketsphinx maxDecoders must be >= 1, got ${max}`);
    this.#modelDir = modelDir;
    this.#max = max;
  }

  /** Decoders loaded so far (idle or in use). */
  get size(): number {
    return this.#loaded;
  }

  /** Loads one decoder ahead of the first utterance (and proves the model loads at all). */
  async warm(): Promise<void> {
    if (this.#loaded === 0) this.release(await this.#load());
  }

  /** An idle decoder, a newly loaded one, or the next one released. */
  acquire(): Promise<PocketsphinxDecoder> {
    if (this.#closed) return Promise.reject(new Error("the pocketsphinx engine was disposed"));
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#loaded < this.#max) return this.#load();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Returns a decoder that finished its utterance cleanly. */
  release(decoder: PocketsphinxDecoder): void {
    if (this.#closed) {
      decoder.free();
      return;
    }
    const next = this.#waiting.shift();
    if (next) next(decoder);
    else this.#idle.push(decoder);
  }

  /** Frees a decoder whose state is unknown (a call on it failed); a waiter gets a fresh one. */
  discard(decoder: PocketsphinxDecoder): void {
    decoder.free();
    this.#loaded--;
    const next = this.#waiting.shift();
    if (next) this.#load().then(next, () => this.#waiting.unshift(next));
  }

  /** Frees every idle decoder; ones still in use are freed when released. */
  close(): void {
    this.#closed = true;
    for (const decoder of this.#idle.splice(0)) decoder.free();
  }

  async #load(): Promise<PocketsphinxDecoder> {
    this.#loaded++;
    try {
      return await PocketsphinxDecoder.load(this.#modelDir);
    } catch (err) {
      this.#loaded--;
      throw err;
    }
  }
}
