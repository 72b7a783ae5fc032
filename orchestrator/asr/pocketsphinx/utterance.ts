/**
 * One utterance on a pooled pocketsphinx decoder. `push` only checks and queues the audio; a drain loop feeds it to
 * the decoder off the event loop and, every `partialIntervalMs` of audio, reads the decoder's incremental hypothesis
 * as a partial. `finish` ends the utterance (pocketsphinx's final search pass) and returns the decoder to the pool.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import type { Transcript, Utterance, UtteranceOptions } from "../contract.ts";
import type { PocketsphinxDecoder } from "./decoder.ts";
import type { DecoderPool } from "./decoder_pool.ts";
import { float32ToInt16 } from "../../../shared/audio/pcm.ts";
import { checkSamples } from "./samples.ts";

const SAMPLE_RATE = 16_000;
const log = getLogger("orchestrator", "asr", "pocketsphinx");

/** What an utterance needs from its engine. */
export interface UtteranceContext {
  pool: DecoderPool;
  partialIntervalMs: number;
  /** Called once the utterance has let go of its decoder (the engine waits for these on dispose). */
  settled: (done: Promise<void>) => void;
}

/** A `Utterance` on pocketsphinx; made by the engine's `startUtterance`. */
export class PocketsphinxUtterance implements Utterance {
  readonly #context: UtteranceContext;
  readonly #onPartial?: (partial: Transcript) => void;
  readonly #decoder: Promise<PocketsphinxDecoder>;
  readonly #pending: Int16Array[] = [];
  #state: "open" | "finishing" | "done" | "cancelled" = "open";
  #draining: Promise<void> | null = null;
  #failure: unknown = null;
  #processed = 0;
  #lastPartialAt = 0;
  #lastPartialText = "";
  #computeMs = 0;

  constructor(context: UtteranceContext, options: UtteranceOptions = {}) {
    this.#context = context;
    this.#onPartial = options.onPartial;
    this.#decoder = context.pool.acquire().then((decoder) => {
      decoder.start();
      return decoder;
    });
    // A failed acquire surfaces in finish(); until then nobody may be awaiting it.
    this.#decoder.catch((err) => this.#failure ??= err);
  }

  push(samples: Float32Array): void {
    checkSamples(samples);
    if (this.#state === "cancelled") return;
    if (this.#state !== "open") throw new Error("push after finish: this utterance is already finishing");
    if (samples.length === 0) return;
    this.#pending.push(float32ToInt16(samples));
    this.#draining ??= this.#drain();
  }

  async finish(): Promise<Transcript> {
    if (this.#state === "cancelled") throw new Error("finish after cancel: this utterance was cancelled");
    if (this.#state !== "open") throw new Error("finish called twice on one utterance");
    this.#state = "finishing";
    let decoder: PocketsphinxDecoder;
    try {
      decoder = await this.#decoder;
    } catch (err) {
      this.#state = "done";
      this.#context.settled(Promise.resolve());
      throw err;
    }
    while (this.#draining) await this.#draining;
    try {
      if (this.#failure) throw this.#failure;
      const started = performance.now();
      const hypothesis = await decoder.end();
      this.#computeMs += performance.now() - started;
      this.#context.pool.release(decoder);
      return this.#transcript(hypothesis.text, hypothesis.confidence, true);
    } catch (err) {
      this.#context.pool.discard(decoder);
      throw err;
    } finally {
      this.#state = "done";
      this.#context.settled(Promise.resolve());
    }
  }

  cancel(): void {
    if (this.#state !== "open") return;
    this.#state = "cancelled";
    this.#pending.length = 0;
    this.#context.settled(this.#abandon());
  }

  /** After cancel: waits for the decoder call in flight, closes the utterance, and hands the decoder back. */
  async #abandon(): Promise<void> {
    let decoder: PocketsphinxDecoder;
    try {
      decoder = await this.#decoder;
    } catch {
      return;
    }
    while (this.#draining) await this.#draining;
    try {
      await decoder.end();
      this.#context.pool.release(decoder);
    } catch {
      this.#context.pool.discard(decoder);
    }
  }

  /** Feeds queued audio to the decoder until the queue is empty; runs while audio keeps arriving. */
  async #drain(): Promise<void> {
    try {
      const decoder = await this.#decoder;
      const interval = (this.#context.partialIntervalMs * SAMPLE_RATE) / 1000;
      while (this.#pending.length && !this.#cancelled() && !this.#failure) {
        const chunk = this.#pending.shift()!;
        const started = performance.now();
        await decoder.process(chunk);
        this.#computeMs += performance.now() - started;
        this.#processed += chunk.length;
        // cancel() may have run while the decoder was busy: no partial may reach the caller after it.
        if (this.#processed - this.#lastPartialAt >= interval && !this.#cancelled()) {
          this.#lastPartialAt = this.#processed;
          this.#emitPartial(decoder.partialText());
        }
      }
    } catch (err) {
      this.#failure ??= err;
    } finally {
      // No await between the loop's last check and here, so a push cannot slip in unseen.
      this.#draining = null;
    }
  }

  #cancelled(): boolean {
    return this.#state === "cancelled";
  }

  #emitPartial(text: string): void {
    if (!this.#onPartial || !text || text === this.#lastPartialText) return;
    this.#lastPartialText = text;
    try {
      this.#onPartial(this.#transcript(text, 0, false));
    } catch (err) {
      log.warn("onPartial callback threw: {error}", { error: String(err) });
    }
  }

  #transcript(text: string, confidence: number, isFinal: boolean): Transcript {
    return {
      text,
      language: "en",
      confidence,
      audioSeconds: this.#processed / SAMPLE_RATE,
      computeMs: this.#computeMs,
      isFinal,
    };
  }
}
