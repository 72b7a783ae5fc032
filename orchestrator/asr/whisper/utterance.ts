/**
 * One utterance for the Whisper engine: `push` only appends to a buffer; a timer re-transcribes the grown buffer every
 * partial interval in the worker (at partial priority, one at a time, skipped while nothing new arrived); `finish`
 * cancels the partial in progress and runs the final at final priority on the whole buffer.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import type { Transcript, Utterance, UtteranceOptions } from "../contract.ts";
import { checkDuration, checkSamples } from "./audio_checks.ts";
import type { TranscriptionResult } from "./transcriber.ts";
import type { Job, WhisperWorkerClient } from "./worker_client.ts";
import type { RunOptions } from "./worker_protocol.ts";

const log = getLogger("asr", "whisper");

/** How an utterance schedules its work. */
export interface UtteranceSettings {
  partialIntervalMs: number;
  /** No partial before this much audio (a few hundred ms of speech say nothing yet). */
  minPartialSeconds: number;
  maxSeconds: number;
  partialRun: RunOptions;
  finalRun: RunOptions;
}

/** Turns a worker result into the contract's transcript. */
export function toTranscript(result: TranscriptionResult, isFinal: boolean): Transcript {
  const { melMs, encoderMs, decoderMs } = result.timings;
  return {
    text: result.text,
    language: result.language,
    confidence: result.confidence,
    audioSeconds: result.audioSeconds,
    computeMs: melMs + encoderMs + decoderMs,
    isFinal,
  };
}

/** See the module doc. */
export class WhisperUtterance implements Utterance {
  private buffer = new Float32Array(16_000);
  private length = 0;
  private partialLength = 0;
  private partial: Job | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private final: Promise<Transcript> | undefined;
  /** A final started before `finish()` (see `speculate`). */
  private speculation: { job: Job; transcript: Promise<Transcript> } | undefined;
  private state: "open" | "finishing" | "cancelled" = "open";
  private lastPartialText = "";
  /** The last partial's tokens: the next run's draft (see greedy.ts), which saves most decoder calls. */
  private lastTokens: number[] = [];

  constructor(
    private readonly client: WhisperWorkerClient,
    private readonly settings: UtteranceSettings,
    private readonly options: UtteranceOptions,
  ) {
    if (options.onPartial) this.timer = setInterval(() => this.maybePartial(), settings.partialIntervalMs);
  }

  /** Appends audio; after `finish()` or `cancel()` it is ignored (late frames of a stream are normal). */
  push(samples: Float32Array): void {
    checkSamples(samples);
    if (this.state !== "open") return;
    checkDuration(this.length + samples.length, this.settings.maxSeconds);
    if (this.length + samples.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.buffer.length * 2, this.length + samples.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(samples, this.length);
    this.length += samples.length;
  }

  finish(): Promise<Transcript> {
    if (this.state === "cancelled") return Promise.reject(new Error("finish() after cancel()"));
    if (!this.final) {
      this.state = "finishing";
      this.stopPartials();
      this.final = this.speculation?.transcript ?? this.startFinal(this.lastTokens).transcript;
      this.speculation = undefined;
    }
    return this.final;
  }

  speculate(): Promise<Transcript> {
    if (this.state !== "open") return this.finish();
    this.speculation ??= this.startFinal(this.lastTokens);
    return this.speculation.transcript;
  }

  retract(): void {
    this.speculation?.job.cancel();
    this.speculation = undefined;
  }

  cancel(): void {
    if (this.state === "cancelled") return;
    this.state = "cancelled";
    this.stopPartials();
    this.retract();
  }

  private startFinal(draft: number[]): { job: Job; transcript: Promise<Transcript> } {
    const run = { ...this.settings.finalRun, draft };
    const job = this.client.submit(this.buffer.slice(0, this.length), run, "final", this.options.session);
    const transcript = job.result.then((result) => {
      if (result.cancelled) throw new Error("the speculative final was retracted");
      return toTranscript(result, true);
    });
    transcript.catch(() => {}); // a retracted speculation is not awaited by anyone
    return { job, transcript };
  }

  private stopPartials(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.partial?.cancel();
    this.partial = undefined;
  }

  private maybePartial(): void {
    if (this.state !== "open" || this.partial) return;
    if (this.length === this.partialLength || this.length < this.settings.minPartialSeconds * 16_000) return;
    this.partialLength = this.length;
    const run = { ...this.settings.partialRun, draft: this.lastTokens };
    const job = this.client.submit(this.buffer.slice(0, this.length), run, "partial", this.options.session);
    this.partial = job;
    job.result.then(
      (result) => {
        if (this.partial === job) this.partial = undefined;
        if (this.state !== "open" || result.cancelled) return;
        this.lastTokens = result.tokens;
        if (!result.text || result.text === this.lastPartialText) return;
        this.lastPartialText = result.text;
        try {
          this.options.onPartial?.(toTranscript(result, false));
        } catch (err) {
          log.warn("onPartial callback threw: {error}", { error: String(err) });
        }
      },
      (err) => {
        if (this.partial === job) this.partial = undefined;
        if (this.state === "open") log.warn("partial transcript failed: {error}", { error: String(err) });
      },
    );
  }
}
