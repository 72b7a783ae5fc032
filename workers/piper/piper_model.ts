/**
 * A loaded Piper voice: text → phoneme ids → one ONNX run per sentence → peak-normalised audio (as piper-tts) →
 * 48 kHz. `synthesize` streams span by span (see `speech_spans.ts`): each span's audio is yielded as soon as it
 * exists, resampled by one resampler per call so that spans join without clicks. Inference runs on the model's
 * own thread, one sentence ahead of the consumer at most (see `lookahead.ts`); a paused session therefore finishes
 * at most the one sentence already running, and then computes nothing.
 *
 * @module
 */
import { WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { float32ToInt16 } from "../../shared/audio/pcm.ts";
import { StreamingResampler } from "../../shared/audio/resampler.ts";
import type { Logger } from "../../shared/log/mod.ts";
import type { AudioChunk, LoadedModel, ModelDescriptor, SynthesisOptions, TextPiece } from "../runtime/adapter.ts";
import type { Espeak } from "./espeak.ts";
import type { OnnxVoice, Scales } from "./onnx_voice.ts";
import { phonemesToIds } from "./phoneme_ids.ts";
import { phonemizeCodepoints, phonemizeEspeak } from "./phonemize.ts";
import { lookahead } from "./lookahead.ts";
import { DEFAULT_SPEECH_SPAN_OPTIONS, type SpeechSpanOptions, speechSpans } from "./speech_spans.ts";
import type { PiperVoiceConfig } from "./voice_config.ts";

const WARMUP_TEXT = "Hello, this is a short warm up.";

/** Everything a {@linkcode PiperModel} is made of. */
export interface PiperModelParts {
  descriptor: ModelDescriptor;
  config: PiperVoiceConfig;
  onnx: OnnxVoice;
  /** Null for `phoneme_type: "text"` voices. */
  espeak: Espeak | null;
  log: Logger;
  spans?: SpeechSpanOptions;
}

/** Peak-normalises in place to [-1, 1] as piper-tts does (silence stays silence). */
export function normalizePeak(audio: Float32Array): Float32Array {
  let peak = 0;
  for (const s of audio) peak = Math.max(peak, Math.abs(s));
  if (peak < 1e-8) return audio.fill(0);
  for (let i = 0; i < audio.length; i++) audio[i] = Math.max(-1, Math.min(1, audio[i] / peak));
  return audio;
}

/** A Piper voice resident in memory. */
export class PiperModel implements LoadedModel {
  readonly descriptor: ModelDescriptor;
  readonly #parts: PiperModelParts;
  readonly #missingPhonemes = new Set<string>();
  #computeMs = 0;
  #audioMs = 0;

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

  /** Audio of one sentence of ids at the native rate, peak-normalised; counted in the RTF. */
  async sentenceAudio(ids: number[], scales: Scales, speakerId = 0): Promise<Float32Array> {
    const started = performance.now();
    const audio = normalizePeak(await this.#parts.onnx.run(ids, scales, speakerId));
    this.#computeMs += performance.now() - started;
    this.#audioMs += (audio.length * 1000) / this.#parts.config.sampleRate;
    return audio;
  }

  /** Native-rate audio of a whole text, one array per sentence (used by warmup and by reference comparisons). */
  async synthesizeNative(text: string, options: SynthesisOptions = {}): Promise<Float32Array[]> {
    const scales = this.scales(options);
    const out: Float32Array[] = [];
    for (const ids of this.phonemeIds(text)) out.push(await this.sentenceAudio(ids, scales, options.speakerId));
    return out;
  }

  async warmup(): Promise<void> {
    // The first run pays one-off costs (allocations, kernel choice); only the second one counts in the RTF.
    await this.synthesizeNative(WARMUP_TEXT);
    this.#computeMs = 0;
    this.#audioMs = 0;
    await this.synthesizeNative(WARMUP_TEXT);
  }

  /** The sentences of the spans to speak, as ids with the span's offsets. */
  async *#sentences(input: AsyncIterable<TextPiece>, signal: AbortSignal) {
    for await (const span of speechSpans(input, signal, this.#parts.spans ?? DEFAULT_SPEECH_SPAN_OPTIONS)) {
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
    // The next sentence's inference runs on the model's thread while this one is resampled and sent.
    const runs = lookahead(this.#sentences(input, signal), (s) => this.sentenceAudio(s.ids, scales, options.speakerId));
    for await (const { item, result } of runs) {
      if (signal.aborted) return;
      const pcm = float32ToInt16(resampler.process(result));
      last = item;
      if (pcm.length) yield { pcm, textStart: item.start, textEnd: item.end };
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
