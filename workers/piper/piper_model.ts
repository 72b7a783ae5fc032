/**
 * A loaded Piper voice: text → phoneme ids → one ONNX run per sentence → audio at one gain per voice → 48 kHz.
 * `synthesize` streams: each sentence's audio is yielded as soon as it exists, and the first sentence of a call in
 * pieces as its decoder runs (when the model could be cut at the decoder, see `onnx_thread.ts`), resampled by one
 * resampler per call so that pieces and sentences join without clicks. Inference runs on the model's own thread,
 * one sentence ahead of the consumer at most (see `lookahead.ts`); a paused session therefore finishes at most the
 * sentences already started, and then computes nothing.
 *
 * Loudness: piper-tts scales each sentence to a peak of 1, which needs the whole sentence before its first sample
 * can go out. Here one gain per voice is measured at warmup (the loudest warmup sentence peaks at 1) and applied to
 * every sentence, clipped to [-1, 1]; sentences keep their natural loudness relative to each other, and a louder
 * sentence than any before lowers the gain for the ones after it.
 *
 * @module
 */
import { WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { float32ToInt16 } from "../../shared/audio/pcm.ts";
import { StreamingResampler } from "../../shared/audio/resampler.ts";
import type { Logger } from "../../shared/log/mod.ts";
import type { AudioChunk, LoadedModel, ModelDescriptor, SynthesisOptions, TextPiece } from "../runtime/adapter.ts";
import { type ChunkPlanOptions, DEFAULT_CHUNK_PLAN } from "./chunk_plan.ts";
import type { Espeak } from "./espeak.ts";
import type { OnnxVoice, Scales, VoiceRun } from "./onnx_voice.ts";
import { phonemesToIds } from "./phoneme_ids.ts";
import { phonemizeCodepoints, phonemizeEspeak } from "./phonemize.ts";
import { lookahead } from "./lookahead.ts";
import { DEFAULT_SPEECH_SPAN_OPTIONS, type SpeechSpanOptions, speechSpans } from "./speech_spans.ts";
import type { PiperVoiceConfig } from "./voice_config.ts";

/** Warmup sentences: short and long, plain and exclaimed, so that the voice's gain is set by a loud one. */
const WARMUP_TEXTS = ["Hello, this is a short warm up.", "Yes!", "Stop, please.", "How are you doing today?"];

/** Everything a {@linkcode PiperModel} is made of. */
export interface PiperModelParts {
  descriptor: ModelDescriptor;
  config: PiperVoiceConfig;
  onnx: OnnxVoice;
  /** Null for `phoneme_type: "text"` voices. */
  espeak: Espeak | null;
  log: Logger;
  spans?: SpeechSpanOptions;
  /** How the first sentence of a call is cut for decoding (default {@linkcode DEFAULT_CHUNK_PLAN}). */
  chunks?: ChunkPlanOptions;
}

/** Peak-normalises in place to [-1, 1] as piper-tts does (silence stays silence). */
export function normalizePeak(audio: Float32Array): Float32Array {
  let peak = 0;
  for (const s of audio) peak = Math.max(peak, Math.abs(s));
  if (peak < 1e-8) return audio.fill(0);
  for (let i = 0; i < audio.length; i++) audio[i] = Math.max(-1, Math.min(1, audio[i] / peak));
  return audio;
}

/** The largest absolute sample. */
function peakOf(audio: Float32Array): number {
  let peak = 0;
  for (const s of audio) peak = Math.max(peak, Math.abs(s));
  return peak;
}

/** A Piper voice resident in memory. */
export class PiperModel implements LoadedModel {
  readonly descriptor: ModelDescriptor;
  readonly #parts: PiperModelParts;
  readonly #missingPhonemes = new Set<string>();
  #computeMs = 0;
  #audioMs = 0;
  /** The raw peak that the voice's gain maps to 1 (see the module doc). */
  #voicePeak = 0;

  constructor(parts: PiperModelParts) {
    this.#parts = parts;
    this.descriptor = parts.descriptor;
  }

  /** The voice's config. */
  get config(): PiperVoiceConfig {
    return this.#parts.config;
  }

  /** Phoneme ids of `text`, one array per sentence (one model run each). */
  phonemeIds(text: string): number[][] {
    const { config, espeak, log } = this.#parts;
    const sentences = config.phonemeType === "text" || !espeak
      ? phonemizeCodepoints(text)
      : phonemizeEspeak(espeak, text, config.espeakVoice);
    return sentences.map((phonemes) =>
      phonemesToIds(
        phonemes,
        config.phonemeIdMap,
        this.#missingPhonemes,
        (phoneme) =>
          log.warn("phoneme {phoneme} (U+{code}) is not in {model_id}'s phoneme_id_map; dropped", {
            phoneme,
            code: phoneme.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0"),
            model_id: this.descriptor.id,
          }),
      )
    );
  }

  /** The voice's scales with the session's overrides (speed divides the length scale). */
  scales(options: SynthesisOptions): Scales {
    const c = this.#parts.config;
    return {
      noiseScale: options.noiseScale ?? c.noiseScale,
      lengthScale: c.lengthScale / (options.speed ?? 1),
      noiseW: options.noiseW ?? c.noiseW,
    };
  }

  /** True when a sentence's audio comes in pieces as it is decoded. */
  get streaming(): boolean {
    return this.#parts.onnx.streaming;
  }

  /**
   * The audio of one sentence of ids at the native rate, at the voice's gain, in the pieces of `plan` (one piece
   * without); counted in the RTF.
   */
  async *sentenceAudio(run: VoiceRun): AsyncGenerator<Float32Array> {
    let rawPeak = 0;
    for await (const piece of run) {
      rawPeak = Math.max(rawPeak, peakOf(piece));
      this.#audioMs += (piece.length * 1000) / this.#parts.config.sampleRate;
      yield this.#applyGain(piece);
    }
    this.#computeMs += run.computeMs;
    // A sentence louder than any before sets the gain of the next ones (it was clipped itself).
    this.#voicePeak = Math.max(this.#voicePeak, rawPeak);
  }

  /** Starts one sentence's inference on the model's thread. */
  startSentence(ids: number[], scales: Scales, speakerId = 0, inPieces = false): VoiceRun {
    const plan = inPieces ? (this.#parts.chunks ?? DEFAULT_CHUNK_PLAN) : null;
    return this.#parts.onnx.run(ids, scales, speakerId, plan, this.#parts.config.sampleRate);
  }

  #applyGain(piece: Float32Array): Float32Array {
    if (this.#voicePeak < 1e-8) return normalizePeak(piece); // before warmup: as piper-tts
    const gain = 1 / this.#voicePeak;
    for (let i = 0; i < piece.length; i++) piece[i] = Math.max(-1, Math.min(1, piece[i] * gain));
    return piece;
  }

  /** Native-rate audio of a whole text, one array per sentence (used by warmup and by reference comparisons). */
  async synthesizeNative(text: string, options: SynthesisOptions = {}): Promise<Float32Array[]> {
    const scales = this.scales(options);
    const out: Float32Array[] = [];
    for (const ids of this.phonemeIds(text)) {
      const pieces: Float32Array[] = [];
      for await (const piece of this.sentenceAudio(this.startSentence(ids, scales, options.speakerId))) {
        pieces.push(piece);
      }
      out.push(concat(pieces));
    }
    return out;
  }

  async warmup(): Promise<void> {
    // The first runs pay one-off costs (allocations, kernel choice) and measure the voice's gain; they do not count
    // in the RTF. The pieces' window sizes are warmed as well.
    const scales = this.scales({});
    for (const text of WARMUP_TEXTS) {
      for (const ids of this.phonemeIds(text)) {
        const run = this.startSentence(ids, scales, 0, this.streaming);
        for await (const piece of run) this.#voicePeak = Math.max(this.#voicePeak, peakOf(piece));
      }
    }
    this.#computeMs = 0;
    this.#audioMs = 0;
  }

  /** The sentences of the spans to speak, as ids with the span's offsets. */
  async *#sentences(input: AsyncIterable<TextPiece>, signal: AbortSignal) {
    const options = this.#parts.spans ?? DEFAULT_SPEECH_SPAN_OPTIONS;
    const spans = this.streaming ? { ...options, onlyWhileIncomplete: true } : options;
    for await (const span of speechSpans(input, signal, spans)) {
      for (const ids of this.phonemeIds(span.text)) yield { ids, start: span.start, end: span.end };
    }
  }

  async *synthesize(
    input: AsyncIterable<TextPiece>,
    options: SynthesisOptions,
    signal: AbortSignal,
  ): AsyncGenerator<AudioChunk> {
    const scales = this.scales(options);
    const resampler = new StreamingResampler(this.#parts.config.sampleRate, WIRE_SAMPLE_RATE);
    let last: { start: number; end: number } | null = null;
    const started = new Set<VoiceRun>();
    // The next sentence's inference runs on the model's thread while this one is resampled and sent; the first
    // sentence comes in pieces, so that its first audio does not wait for its whole decoder run.
    const runs = lookahead(this.#sentences(input, signal), (s) => {
      const run = this.startSentence(s.ids, scales, options.speakerId, started.size === 0 && this.streaming);
      started.add(run);
      return Promise.resolve(run);
    });
    try {
      for await (const { item, result } of runs) {
        for await (const piece of this.sentenceAudio(result)) {
          if (signal.aborted) return;
          const pcm = float32ToInt16(resampler.process(piece));
          last = item;
          if (pcm.length) yield { pcm, textStart: item.start, textEnd: item.end };
        }
      }
    } finally {
      // A sentence started ahead for a consumer that left is not decoded any further.
      for (const run of started) run.cancel();
    }
    const tail = float32ToInt16(resampler.flush());
    if (last && tail.length && !signal.aborted) yield { pcm: tail, textStart: last.start, textEnd: last.end };
  }

  rtf(): number {
    return this.#audioMs > 0 ? this.#computeMs / this.#audioMs : 0;
  }

  async dispose(): Promise<void> {
    await this.#parts.onnx.dispose();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) (out.set(part, at), at += part.length);
  return out;
}
