/**
 * Fakes for unit tests of the session logic (the integration tests use the real VAD, ASR and workers):
 * a manual clock, an energy-threshold VAD, an ASR whose text depends on the loudness of the audio, and an output that
 * records what a client would receive. The fake TTS router is in `fake_tts.ts` (re-exported here).
 *
 * @module
 */
export { FakeSpeechStream, FakeTtsRouter, FRAMES_PER_CHAR, seqOf } from "./fake_tts.ts";
import type { AsrEngine, Transcript, Utterance, UtteranceOptions } from "../../../orchestrator/asr/contract.ts";
import type { Clock, TimerHandle } from "../../../orchestrator/session/clock.ts";
import type { AgentOutput } from "../../../orchestrator/transports/contract.ts";
import type { ServerEvent } from "../../../shared/protocol/server_events.ts";
import type { ErrorCode } from "../../../shared/protocol/limits.ts";
import type { VadCue, VadEvent, VadOptions, VadStream } from "../../../orchestrator/vad/contract.ts";
import { SpeechSegmenter } from "../../../orchestrator/vad/segmenter.ts";

/** A clock that only moves when the test advances it. */
export class FakeClock implements Clock {
  #now = 1_000;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), callback });
    return id as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#timers.delete(handle as unknown as number);
  }

  /** Moves time forward without firing timers, as an event-loop stall would (`advance(0)` fires them late). */
  jump(ms: number): void {
    this.#now += ms;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promise chains run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, timer] of this.#timers) {
        if (timer.at < nextAt || (timer.at === nextAt && id < nextId)) [nextId, nextAt] = [id, timer.at];
      }
      if (nextId < 0 || nextAt > target) break;
      const timer = this.#timers.get(nextId)!;
      this.#timers.delete(nextId);
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets pending promise callbacks run (a few macrotask turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Loudness levels the fakes understand (as int16 sample values). */
export const LEVEL = { silence: 0, noise: 12_000, words: 26_000 } as const;

/** A 20 ms chunk of 16 kHz audio at a constant level. */
export function chunk16k(level: number, ms = 20): Int16Array {
  return new Int16Array(16 * ms).fill(level);
}

/** VAD by energy: a chunk at or above the noise level is speech; the first quiet chunk ends it. */
export class FakeVadStream implements VadStream {
  speaking = false;
  lastProbability = 0;
  streamMs = 0;

  push(samples: Float32Array): Promise<VadEvent[]> {
    const peak = samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    const startMs = this.streamMs;
    this.streamMs += samples.length / 16;
    this.lastProbability = peak >= LEVEL.noise / 32768 - 0.01 ? 1 : 0;
    const events: VadEvent[] = [];
    if (this.lastProbability === 1 && !this.speaking) {
      this.speaking = true;
      events.push({ type: "speech_start", streamMs: startMs });
    } else if (this.lastProbability === 0 && this.speaking) {
      this.speaking = false;
      events.push({ type: "speech_end", streamMs: startMs });
    }
    return Promise.resolve(events);
  }

  flush(): Promise<VadEvent[]> {
    return Promise.resolve([]);
  }

  reset(): Promise<void> {
    this.speaking = false;
    this.streamMs = 0;
    return Promise.resolve();
  }
}

/**
 * VAD by energy through the real segmenter: each pushed chunk is one window, rated 1 at or above the noise level and 0
 * below, so minimum speech, minimum silence and the undecided cues behave as Silero's do.
 */
export class SegmentedVadStream implements VadStream {
  readonly #segmenter: SpeechSegmenter;
  lastProbability = 0;
  streamMs = 0;

  constructor(options: Partial<VadOptions> = {}) {
    this.#segmenter = new SpeechSegmenter({
      threshold: 0.5,
      minSpeechMs: 100,
      minSilenceMs: 300,
      speechPadMs: 0,
      ...options,
    });
  }

  get speaking(): boolean {
    return this.#segmenter.speaking;
  }

  get cue(): VadCue | null {
    return this.#segmenter.cue;
  }

  push(samples: Float32Array): Promise<VadEvent[]> {
    const peak = samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    const startMs = this.streamMs;
    this.streamMs += samples.length / 16;
    this.lastProbability = peak >= LEVEL.noise / 32768 - 0.01 ? 1 : 0;
    const event = this.#segmenter.window(this.lastProbability, startMs, this.streamMs);
    return Promise.resolve(event ? [event] : []);
  }

  flush(): Promise<VadEvent[]> {
    const event = this.#segmenter.flush(this.streamMs);
    return Promise.resolve(event ? [event] : []);
  }

  reset(): Promise<void> {
    this.#segmenter.reset();
    this.streamMs = 0;
    return Promise.resolve();
  }
}

/** ASR that hears `wordsText` in loud audio and nothing in noise; partials after each loud chunk. */
export class FakeAsrEngine implements AsrEngine {
  readonly name = "fake-asr";
  readonly languages = ["en"];
  utterancesStarted = 0;
  cancelled = 0;
  /** True: `finish` never resolves (a recognizer slower than any window). */
  holdFinals = false;
  /** False: no partials (a recognizer that only answers at the end). */
  partials = true;
  /** Finals wait until `releaseFinals()` (a recognizer slower than the user's next words). */
  gateFinals = false;
  /** The confidence of every transcript (read when an utterance starts). */
  confidence = 0.9;
  /** True: utterances take speculative finals (`speculate` / `retract`), counted below. */
  speculative = false;
  speculations = 0;
  retractions = 0;
  #gate = Promise.withResolvers<void>();

  /** `wordsText` is read when an utterance starts, so each utterance can hear different words. */
  constructor(public wordsText = "hello there") {}

  /** Lets the finals waiting on `gateFinals` resolve (in the order they were asked for). */
  releaseFinals(): void {
    this.#gate.resolve();
  }

  startUtterance(options: UtteranceOptions = {}): Utterance {
    this.utterancesStarted++;
    const wordsText = this.wordsText;
    const confidence = this.confidence;
    let loud = 0;
    let total = 0;
    let cancelled = false;
    const transcript = (isFinal: boolean): Transcript => ({
      text: loud >= 16 * 60 ? wordsText : "",
      language: "en",
      confidence,
      audioSeconds: total / 16_000,
      computeMs: 1,
      isFinal,
    });
    let speculation: Transcript | null = null;
    const utterance: Utterance = {
      push: (samples) => {
        if (cancelled) return;
        total += samples.length;
        for (const s of samples) if (Math.abs(s) >= LEVEL.words / 32768 - 0.01) loud++;
        const partial = transcript(false);
        if (partial.text && this.partials) queueMicrotask(() => !cancelled && options.onPartial?.(partial));
      },
      finish: () => {
        if (this.holdFinals) return new Promise<Transcript>(() => {});
        const final = speculation ?? transcript(true);
        return this.gateFinals ? this.#gate.promise.then(() => final) : Promise.resolve(final);
      },
      cancel: () => {
        cancelled = true;
        this.cancelled++;
      },
    };
    if (!this.speculative) return utterance;
    utterance.speculate = () => {
      this.speculations++;
      speculation ??= transcript(true);
      return Promise.resolve(speculation);
    };
    utterance.retract = () => {
      if (speculation) this.retractions++;
      speculation = null;
    };
    return utterance;
  }

  transcribe(): Promise<Transcript> {
    return Promise.reject(new Error("not used"));
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

/** An output that records what the client would receive, with the clock time of each frame. */
export class RecordingOutput implements AgentOutput {
  readonly connectionId = "fake-output";
  open = true;
  events: ServerEvent[] = [];
  frames: Array<{ pcm: Uint8Array; atMs: number }> = [];
  closed: { code: number; reason: string } | null = null;
  /** Clock times at which the session asked to drop queued audio. */
  clears: number[] = [];

  constructor(readonly clock: Clock) {}

  clearAudio(): void {
    this.clears.push(this.clock.now());
  }

  sendAudio(frame: Uint8Array): boolean {
    this.frames.push({ pcm: frame, atMs: this.clock.now() });
    return true;
  }

  sendEvent(event: ServerEvent): void {
    this.events.push(event);
  }

  fail(code: ErrorCode, message: string, options: { fatal?: boolean; closeCode?: number } = {}): void {
    this.events.push({ type: "error", code, message, fatal: options.fatal ?? true });
    if (options.fatal ?? true) this.close(options.closeCode ?? 1008, code);
  }

  close(code: number, reason: string): void {
    this.open = false;
    this.closed = { code, reason };
  }

  /** Events of one type. */
  ofType<T extends ServerEvent["type"]>(type: T): Array<Extract<ServerEvent, { type: T }>> {
    return this.events.filter((e) => e.type === type) as Array<Extract<ServerEvent, { type: T }>>;
  }
}
