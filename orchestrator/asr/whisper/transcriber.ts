/**
 * Whole-buffer Whisper transcription on one thread: log-mel over the clip, then 30 s windows in order (as
 * faster-whisper seeks without timestamps), each encoded and greedy-decoded; windows judged silent are dropped.
 *
 * The encoder window is the model's full 30 s (3000 frames) by default, which is what faster-whisper feeds and
 * keeps our transcripts identical to its. `window: "fit"` encodes only the audio plus `fitPaddingFrames` of padding
 * when the model allows it (our converter's graphs do, sherpa-onnx's fixed-size exports do not): several times
 * cheaper for short utterances, but no longer the reference's numbers (see docs/ASR_MODELS.md for the measurements).
 * A short fit pad uses the clip's silence level rather than 0.0: with only a short pad, 0.0 (which is not silence in
 * log-mel terms) makes Whisper repeat itself far more often; from `ZERO_PAD_MIN_FRAMES` on it is 0.0, as in the full
 * window.
 *
 * @module
 */
import { DEFAULT_GUARDS, type GuardOptions, isSilence, SHORT_WINDOW_GUARDS, tokenBudget } from "./guards.ts";
import { decodeWindow, promptFor, type WindowResult } from "./greedy.ts";
import { FRAMES_PER_WINDOW, HOP_LENGTH, LogMelExtractor, melFloor, melWindow } from "./mel.ts";
import type { WhisperOnnxModel } from "./onnx_model.ts";

/**
 * From this much padding on, a fit window is padded with 0.0 as faster-whisper pads its full window: in the window study
 * (docs/ASR_MODELS.md) that is as accurate as the full window, while the silence level is better only for short pads.
 */
export const ZERO_PAD_MIN_FRAMES = 1000;

/** Sample rate every Whisper model takes. */
export const WHISPER_SAMPLE_RATE = 16_000;

/** Options of one transcription. */
export interface TranscribeOptions {
  language: string;
  /** `full` (default): 30 s windows; `fit`: the audio plus padding, when the model accepts variable windows. */
  window?: "full" | "fit";
  fitPaddingFrames?: number;
  guards?: GuardOptions;
  /** Tokens the text probably starts with (the last partial's): checked in one decoder call, see greedy.ts. */
  draft?: number[];
  /** Polled between decoder steps; true stops the work (the result is then marked cancelled). */
  isCancelled?: () => boolean;
}

/** What a transcription found, with its cost. */
export interface TranscriptionResult {
  text: string;
  language: string;
  /** exp(mean token log-probability) over the kept windows; 0 when nothing was said. */
  confidence: number;
  noSpeechProb: number;
  audioSeconds: number;
  tokens: number[];
  cancelled: boolean;
  timings: { melMs: number; encoderMs: number; decoderMs: number; decoderCalls: number };
  /** Per-window stop reasons ("end", "budget", "repetition", "cancelled", "silence"). */
  windows: string[];
}

/** Transcribes buffers with one model; not re-entrant (one call at a time per instance). */
export class WhisperTranscriber {
  private readonly mel: LogMelExtractor;

  constructor(readonly model: WhisperOnnxModel) {
    this.mel = new LogMelExtractor(model.info.nMels);
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions): Promise<TranscriptionResult> {
    const fit = options.window === "fit" && this.model.info.variableFrames;
    const guards = options.guards ?? (fit ? SHORT_WINDOW_GUARDS : DEFAULT_GUARDS);
    const isCancelled = options.isCancelled ?? (() => false);
    const prompt = promptFor(this.model, options.language);
    const timings = { melMs: 0, encoderMs: 0, decoderMs: 0, decoderCalls: 0 };
    const audioSeconds = samples.length / WHISPER_SAMPLE_RATE;
    let t0 = performance.now();
    const mel = this.mel.compute(samples);
    timings.melMs = performance.now() - t0;
    // faster-whisper drops the last frame (its content_frames); a clip shorter than one hop has nothing to say.
    const contentFrames = mel.frames - 1;
    const tokens: number[] = [];
    const windows: string[] = [];
    let logprob = 0, counted = 0, noSpeechProb = 0, cancelled = false;
    for (let seek = 0; seek < contentFrames && !cancelled; seek += FRAMES_PER_WINDOW) {
      const frames = Math.min(FRAMES_PER_WINDOW, contentFrames - seek);
      const width = this.windowWidth(frames, options);
      const padValue = width === FRAMES_PER_WINDOW || width - frames >= ZERO_PAD_MIN_FRAMES ? 0 : melFloor(mel);
      t0 = performance.now();
      const cross = await this.model.encode(melWindow(mel, seek, frames, width, padValue), width);
      timings.encoderMs += performance.now() - t0;
      t0 = performance.now();
      const budget = tokenBudget((frames * HOP_LENGTH) / WHISPER_SAMPLE_RATE, guards, this.model.info.nTextCtx);
      const draft = seek === 0 ? options.draft : undefined;
      const result: WindowResult = await decodeWindow(this.model, cross, prompt, budget, guards, isCancelled, draft);
      timings.decoderMs += performance.now() - t0;
      timings.decoderCalls += result.decoderCalls;
      noSpeechProb = Math.max(noSpeechProb, result.noSpeechProb);
      cancelled = result.stop === "cancelled";
      if (isSilence(result.noSpeechProb, result.avgLogprob, guards)) {
        windows.push("silence");
        continue;
      }
      windows.push(result.stop);
      tokens.push(...result.tokens);
      logprob += result.avgLogprob * (result.tokens.length + 1);
      counted += result.tokens.length + 1;
    }
    const text = this.model.tokenizer.decode(tokens).trim();
    return {
      text,
      language: this.model.info.isMultilingual ? options.language : "en",
      confidence: text && counted ? Math.exp(logprob / counted) : 0,
      noSpeechProb,
      audioSeconds,
      tokens,
      cancelled,
      timings,
      windows,
    };
  }

  private windowWidth(frames: number, options: TranscribeOptions): number {
    if (options.window !== "fit" || !this.model.info.variableFrames) return FRAMES_PER_WINDOW;
    const wanted = frames + (options.fitPaddingFrames ?? 300);
    // The encoder's stride-2 convolution wants an even frame count.
    return Math.min(FRAMES_PER_WINDOW, wanted + (wanted % 2));
  }
}
