/**
 * The listening half of a session: user audio → 16 kHz → VAD → ASR utterances. Chunks are processed strictly in
 * arrival order. The last second of audio is kept so that an utterance started at a VAD onset (which the VAD
 * reports after `minSpeechMs`, padded backwards) receives its audio from the onset on, not from the decision on.
 *
 * @module
 */
import type { AsrEngine, Transcript, Utterance } from "../asr/contract.ts";
import type { VadCue, VadEvent, VadStream } from "../vad/contract.ts";
import { SPEECH_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { SpeechRateConverter } from "./speech_rate.ts";

/**
 * Default audio before the VAD's (padded) onset that the ASR also gets. Silero rates the first fricative of a word
 * ("s" in "stop") as non-speech, so the onset lands after it; Whisper copes well with a little leading silence, not
 * with a clipped first word.
 */
const DEFAULT_ASR_LEAD_MS = 250;

/** A VAD boundary with the wall time it corresponds to. */
export interface TimedVadEvent extends VadEvent {
  /** Clock ms at which the audio at `streamMs` arrived (assumes the client streams in real time). */
  atMs: number;
  /** Clock ms at which the chunk that revealed the boundary arrived. */
  detectedArrivalMs: number;
}

/** A VAD suspicion with the wall time of where it began; null when the last one was dropped or decided. */
export type TimedVadCue = (VadCue & { atMs: number }) | null;

/** What the input reports to its session. */
export interface SpeechInputListener {
  onVadEvent(event: TimedVadEvent): void;
  /** The VAD's suspicion changed (reported after the chunk's boundary events). */
  onVadCue?(cue: TimedVadCue): void;
  onPartial(utteranceId: number, partial: Transcript): void;
  onError(error: Error): void;
}

/** Converts one chunk of client audio (s16 at its rate) to 16 kHz float32; stateful across chunks. */
export type ToSpeechRate = (samples: Int16Array, sampleRate: number) => Float32Array;

/** Dependencies of one session's speech input. */
export interface SpeechInputOptions {
  vad: VadStream;
  asr: AsrEngine;
  /** Default: each frame converted by its own rate ({@linkcode SpeechRateConverter}). */
  toSpeechRate?: ToSpeechRate;
  listener: SpeechInputListener;
  language?: string;
  /** Audio kept for utterance starts, in ms (≥ VAD min speech + padding + ASR lead). */
  preRollMs?: number;
  /** Audio before the onset that the ASR gets too, in ms (default 250). */
  asrLeadMs?: number;
}

let inputs = 0;

/** The speech input of one session. */
export class SpeechInput {
  /** This session's lane in the ASR engine's fair queue. */
  readonly #asrSession = `speech-input-${++inputs}`;
  #options: SpeechInputOptions;
  #ring: Float32Array;
  /** Samples ever received at 16 kHz (the stream clock). */
  #total = 0;
  #queue: Promise<void> = Promise.resolve();
  #utterances = new Map<number, Utterance>();
  #recording: { id: number; utterance: Utterance } | null = null;
  #nextId = 1;
  #closed = false;
  #lastArrivalMs = 0;
  #cue: VadCue | null = null;

  readonly #toSpeechRate: ToSpeechRate;

  constructor(options: SpeechInputOptions) {
    this.#options = options;
    const converter = new SpeechRateConverter();
    this.#toSpeechRate = options.toSpeechRate ?? ((samples, rate) => converter.convert(samples, rate));
    this.#ring = new Float32Array(Math.round(((options.preRollMs ?? 1500) * SPEECH_SAMPLE_RATE) / 1000));
  }

  /** Stream time of the audio received so far, in ms. */
  get streamMs(): number {
    return (this.#total * 1000) / SPEECH_SAMPLE_RATE;
  }

  /** Queues one chunk of client audio that arrived at `arrivalMs`; resolves when it has been processed. */
  push(samples: Int16Array, sampleRate: number, arrivalMs: number): Promise<void> {
    this.#queue = this.#queue.then(() => this.#process(samples, sampleRate, arrivalMs)).catch((error) => {
      if (!this.#closed) this.#options.listener.onError(error as Error);
    });
    return this.#queue;
  }

  /** Starts an utterance with the audio from `fromStreamMs` on; returns its id. */
  startUtterance(fromStreamMs: number): number {
    this.#stopRecording(true);
    const id = this.#nextId++;
    const utterance = this.#options.asr.startUtterance({
      language: this.#options.language,
      session: this.#asrSession,
      onPartial: (partial) => {
        if (this.#utterances.has(id)) this.#options.listener.onPartial(id, partial);
      },
    });
    this.#utterances.set(id, utterance);
    this.#recording = { id, utterance };
    const preRoll = this.#recent(Math.max(0, fromStreamMs - (this.#options.asrLeadMs ?? DEFAULT_ASR_LEAD_MS)));
    if (preRoll.length > 0) utterance.push(preRoll);
    return id;
  }

  /**
   * Ends the recording utterance; resolves with its final transcript, or null when it was cancelled meanwhile.
   * Resolves with null at once when nothing is recording.
   */
  async finishUtterance(): Promise<{ id: number; transcript: Transcript } | null> {
    const recording = this.#recording;
    if (!recording) return null;
    this.#recording = null;
    try {
      const transcript = await recording.utterance.finish();
      if (!this.#utterances.delete(recording.id)) return null;
      return { id: recording.id, transcript };
    } catch (error) {
      if (!this.#utterances.delete(recording.id)) return null;
      throw error;
    }
  }

  /**
   * The speaker may have stopped: starts the final of the recording utterance on its audio so far, and resolves
   * with it (see `Utterance.speculate`). Null when nothing records or the engine cannot speculate.
   */
  speculate(): Promise<Transcript> | null {
    return this.#recording?.utterance.speculate?.() ?? null;
  }

  /** Speech came back: the recording utterance's speculative final is dropped. */
  retract(): void {
    this.#recording?.utterance.retract?.();
  }

  /** Cancels every utterance, recording or finishing; their finals are dropped. */
  cancelUtterances(): void {
    this.#stopRecording(true);
    for (const utterance of this.#utterances.values()) utterance.cancel();
    this.#utterances.clear();
  }

  /** Stops everything; later pushes are ignored. */
  close(): void {
    this.#closed = true;
    this.cancelUtterances();
  }

  async #process(samples: Int16Array, sampleRate: number, arrivalMs: number): Promise<void> {
    if (this.#closed) return;
    const speech = this.#toSpeechRate(samples, sampleRate);
    this.#remember(speech);
    this.#lastArrivalMs = arrivalMs;
    this.#recording?.utterance.push(speech);
    const events = await this.#options.vad.push(speech);
    if (this.#closed) return;
    const endMs = this.streamMs;
    const wallOf = (streamMs: number) => this.#lastArrivalMs - Math.max(0, endMs - streamMs);
    for (const event of events) {
      this.#options.listener.onVadEvent({ ...event, atMs: wallOf(event.streamMs), detectedArrivalMs: arrivalMs });
    }
    const cue = this.#options.vad.cue ?? null;
    if (cue?.kind !== this.#cue?.kind || cue?.streamMs !== this.#cue?.streamMs) {
      this.#cue = cue;
      this.#options.listener.onVadCue?.(cue && { ...cue, atMs: wallOf(cue.streamMs) });
    }
  }

  #stopRecording(cancel: boolean): void {
    const recording = this.#recording;
    if (!recording) return;
    this.#recording = null;
    if (cancel) {
      recording.utterance.cancel();
      this.#utterances.delete(recording.id);
    }
  }

  #remember(speech: Float32Array): void {
    const ring = this.#ring;
    const take = speech.subarray(Math.max(0, speech.length - ring.length));
    const at = (this.#total + speech.length - take.length) % ring.length;
    const first = Math.min(take.length, ring.length - at);
    ring.set(take.subarray(0, first), at);
    ring.set(take.subarray(first), 0);
    this.#total += speech.length;
  }

  /** The kept audio from stream time `fromMs` to now. */
  #recent(fromMs: number): Float32Array {
    const ring = this.#ring;
    const from = Math.max(Math.round((fromMs * SPEECH_SAMPLE_RATE) / 1000), this.#total - ring.length, 0);
    const out = new Float32Array(Math.max(0, this.#total - from));
    for (let i = 0; i < out.length; i++) out[i] = ring[(from + i) % ring.length];
    return out;
  }
}
