/**
 * A loaded CosyVoice 2 voicepack serving syntheses: text pieces are buffered until flushed, cut with the text front
 * end, tokenized, decoded by the LLM and streamed through {@linkcode Token2Wav}; the first audio leaves after the
 * first token chunk. 24 kHz speech goes through the shared resampler to 48 kHz s16. Per-request state only.
 *
 * @module
 */
import { StreamingResampler } from "../../shared/audio/resampler.ts";
import { float32ToInt16 } from "../../shared/audio/pcm.ts";
import type { Logger } from "../../shared/log/mod.ts";
import { nextOrAbort } from "../runtime/abortable.ts";
import type { AudioChunk, LoadedModel, ModelDescriptor, SynthesisOptions, TextPiece } from "../runtime/adapter.ts";
import { generateTokens } from "./llm.ts";
import type { ort } from "./onnx_session.ts";
import { Prng } from "./prng.ts";
import { greedySampler, rasSampler } from "./sampling.ts";
import { prngDraws } from "./source.ts";
import { normalizeEnglish, splitParagraph } from "./text_frontend.ts";
import { Token2Wav, type Token2WavSessions } from "./token2wav.ts";
import type { TextTokenizer } from "./tokenizer.ts";
import type { Voicepack } from "./voicepack.ts";

/** The sessions of a pack. */
export interface PackSessions extends Token2WavSessions {
  llm: ort.InferenceSession;
}

/** What {@linkcode CosyVoiceModel} is built from. */
export interface CosyVoiceModelParts {
  descriptor: ModelDescriptor;
  pack: Voicepack;
  tokenizer: TextTokenizer;
  sessions: PackSessions;
  log: Logger;
  /** Seed of each request's sampler and source draws (same seed, same audio). */
  seed: number;
  /** `greedy` decodes with arg-max (reproducible, used by the parity tests). */
  sampling?: "ras" | "greedy";
}

/** One text segment ready for the LLM, with the input span it speaks. */
interface Segment {
  ids: number[];
  start: number;
  end: number;
}

/** A voicepack in memory. */
export class CosyVoiceModel implements LoadedModel {
  readonly descriptor: ModelDescriptor;
  #computeSeconds = 0;
  #audioSeconds = 0;

  constructor(readonly parts: CosyVoiceModelParts) {
    this.descriptor = parts.descriptor;
  }

  /**
   * Runs every graph once on the path a request takes: the LLM's prefill and a step, one streamed chunk through the
   * stream graphs and HiFT, the last chunk through the full graphs. onnxruntime's first run of a session sets up its
   * allocations and kernels, which would otherwise land in the first request's first audio. A text alone does not do
   * it: a short one may end before the first hop and never reach the stream graphs.
   */
  async warmup(): Promise<void> {
    const { pack, sessions, tokenizer } = this.parts;
    const { manifest } = pack;
    const signal = new AbortController().signal;
    const request = {
      promptTextIds: manifest.voice.prompt_text_ids,
      textIds: tokenizer.encode("Hello."),
      promptSpeech: manifest.voice.prompt_speech_tokens,
      sampler: greedySampler(),
      signal,
      maxTokens: 2,
    };
    for await (const _ of generateTokens(sessions.llm, manifest, request)) { /* discard */ }
    // The voice's own speech tokens are valid flow input; enough of them for one streamed chunk.
    const tokens = manifest.voice.prompt_speech_tokens;
    const stream = new Token2Wav(sessions, pack, prngDraws(new Prng(this.parts.seed)), signal);
    for (let i = 0; i < 1000 && (await stream.push(tokens[i % tokens.length])) === null; i++) { /* fill a hop */ }
    await stream.finish();
  }

  rtf(): number {
    return this.#audioSeconds > 0 ? this.#computeSeconds / this.#audioSeconds : 0;
  }

  async dispose(): Promise<void> {
    const { llm, flow, hift } = this.parts.sessions;
    const all = [
      llm,
      flow.encoderStream,
      flow.encoderFinal,
      flow.estimatorStream,
      flow.estimatorFull,
      hift.f0,
      hift.decoder,
    ];
    await Promise.all(all.map((s) => s.release().catch(() => {})));
  }

  /** Cuts buffered text into segments (upstream's split_paragraph) with their spans in the input. */
  #segments(text: string, start: number): Segment[] {
    const count = (t: string) => this.parts.tokenizer.encode(t).length;
    const segments: Segment[] = [];
    let cursor = 0;
    for (const piece of splitParagraph(text.trim() ? text : "", count)) {
      const at = text.indexOf(piece.trim(), cursor);
      const from = at >= 0 ? at : cursor;
      const to = at >= 0 ? Math.min(text.length, at + piece.trim().length) : text.length;
      cursor = to;
      const ids = this.parts.tokenizer.encode(normalizeEnglish(piece));
      if (ids.length > 0) segments.push({ ids, start: start + from, end: start + to });
    }
    if (segments.length) segments[segments.length - 1].end = start + text.length;
    return segments;
  }

  async *synthesize(
    input: AsyncIterable<TextPiece>,
    options: SynthesisOptions,
    signal: AbortSignal,
  ): AsyncGenerator<AudioChunk> {
    const speed = options.speed ?? 1;
    const prng = new Prng(this.parts.seed);
    const sampler = this.parts.sampling === "greedy"
      ? greedySampler()
      : rasSampler(this.parts.pack.manifest.sampling, prng);
    const draws = prngDraws(prng);
    const resampler = new StreamingResampler(this.parts.pack.manifest.sample_rate, 48_000);
    const iterator = input[Symbol.asyncIterator]();
    let buffer = "";
    let bufferStart = 0;
    let lastEnd = 0;
    const toPcm = (speech: Float32Array) => float32ToInt16(resampler.process(speech));
    while (true) {
      const next = await nextOrAbort(iterator, signal);
      if (signal.aborted) return;
      if (!next.done) {
        if (buffer === "") bufferStart = next.value.start;
        buffer += next.value.text;
        lastEnd = next.value.end;
        if (!next.value.flush) continue;
      }
      for (const segment of this.#segments(buffer, bufferStart)) {
        for await (const speech of this.#speak(segment.ids, speed, sampler, draws, signal)) {
          const pcm = toPcm(speech);
          if (pcm.length) yield { pcm, textStart: segment.start, textEnd: segment.end };
        }
      }
      buffer = "";
      if (next.done) break;
    }
    const tail = float32ToInt16(resampler.flush());
    if (tail.length && !signal.aborted) yield { pcm: tail, textStart: lastEnd, textEnd: lastEnd };
  }

  /** One segment: LLM tokens streamed into chunks of 24 kHz speech. */
  async *#speak(
    ids: number[],
    speed: number,
    sampler: ReturnType<typeof rasSampler>,
    draws: ReturnType<typeof prngDraws>,
    signal: AbortSignal,
  ): AsyncGenerator<Float32Array> {
    const { pack, sessions } = this.parts;
    const { manifest } = pack;
    const stream = new Token2Wav(sessions, pack, draws, signal);
    const streaming = Token2Wav.streams(speed);
    const framesLeft = manifest.flow.noise_shape[1] / manifest.flow.token_mel_ratio -
      manifest.voice.prompt_speech_tokens.length - manifest.flow.lookahead;
    let started = performance.now();
    const measure = (speech: Float32Array) => {
      const now = performance.now();
      this.#computeSeconds += (now - started) / 1000;
      this.#audioSeconds += speech.length / manifest.sample_rate;
      started = now;
    };
    const tokens = generateTokens(sessions.llm, manifest, {
      promptTextIds: manifest.voice.prompt_text_ids,
      textIds: ids,
      promptSpeech: manifest.voice.prompt_speech_tokens,
      sampler,
      signal,
      maxTokens: framesLeft,
    });
    for await (const token of tokens) {
      if (!streaming) {
        stream.add(token);
        continue;
      }
      const speech = await stream.push(token);
      if (speech) {
        measure(speech);
        yield speech;
      }
    }
    signal.throwIfAborted();
    const last = await stream.finish(speed);
    measure(last);
    yield last;
  }
}
