/**
 * Per-request token → speech streaming, as upstream's `CosyVoice2Model.tts(stream=True)` / `token2wav`: chunks cut
 * every `token_hop` tokens (the first hop padded so chunk edges fall on the flow's 25-token grid) once the 3
 * lookahead tokens exist; each chunk re-runs the flow over prompt + all tokens so far and keeps the mel from the
 * chunk's offset; HiFT keeps an 8-frame mel cache and a 3840-sample source cache, cross-fades 3840 samples with a
 * Hamming window and holds the last 3840 samples back until the next chunk or the end. All state lives in one
 * instance per request (upstream's shared `token_hop_len` is not copied).
 *
 * @module
 */
import { type FlowSessions, type Mel, runFlow } from "./flow.ts";
import { type HiftSessions, vocode } from "./hift.ts";
import type { SourceDraws } from "./source.ts";
import type { Voicepack } from "./voicepack.ts";

/** The graphs a stream needs. */
export interface Token2WavSessions {
  flow: FlowSessions;
  hift: HiftSessions;
}

/** `np.hamming(n)` (symmetric). */
function hamming(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (n - 1));
  return w;
}

/** Linear resize of a mel along time (upstream's offline `speed` change, F.interpolate size=…, linear). */
function stretchMel(mel: Mel, speed: number): Mel {
  const frames = Math.max(1, Math.floor(mel.frames / speed));
  const scale = mel.frames / frames;
  const data = new Float32Array(80 * frames);
  for (let c = 0; c < 80; c++) {
    for (let i = 0; i < frames; i++) {
      const src = Math.max((i + 0.5) * scale - 0.5, 0);
      const i0 = Math.min(Math.floor(src), mel.frames - 1);
      const i1 = Math.min(i0 + 1, mel.frames - 1);
      const l = src - i0;
      data[c * frames + i] = (1 - l) * mel.data[c * mel.frames + i0] + l * mel.data[c * mel.frames + i1];
    }
  }
  return { data, frames };
}

/** Turns a growing token list into 24 kHz speech chunks. */
export class Token2Wav {
  readonly #tokens: number[] = [];
  #offset = 0;
  #cache: { mel: Mel; source: Float32Array; speech: Float32Array } | null = null;
  readonly #firstHop: number;
  readonly #window: Float64Array;

  constructor(
    readonly sessions: Token2WavSessions,
    readonly pack: Voicepack,
    readonly draws: SourceDraws,
    readonly signal: AbortSignal,
  ) {
    const hop = pack.manifest.stream.token_hop;
    const prompt = pack.manifest.voice.prompt_speech_tokens.length;
    this.#firstHop = hop + Math.ceil(prompt / hop) * hop - prompt;
    this.#window = hamming(2 * pack.manifest.stream.source_cache);
  }

  /** Tokens the next chunk waits for (hop + lookahead beyond the offset). */
  get #needed(): number {
    const hop = this.#offset === 0 ? this.#firstHop : this.pack.manifest.stream.token_hop;
    return hop + this.pack.manifest.flow.lookahead;
  }

  /** Adds one token without cutting a chunk (offline synthesis). */
  add(token: number): void {
    this.#tokens.push(token);
  }

  /** Adds one token; returns a chunk of speech when one is due. */
  async push(token: number): Promise<Float32Array | null> {
    this.#tokens.push(token);
    if (this.#tokens.length - this.#offset < this.#needed) return null;
    const hop = this.#needed - this.pack.manifest.flow.lookahead;
    const tokens = this.#tokens.slice(0, this.#offset + hop + this.pack.manifest.flow.lookahead);
    const speech = await this.#chunk(tokens, false, 1);
    this.#offset += hop;
    return speech;
  }

  /** Vocodes what is left (the final chunk); with `speed` ≠ 1 only when nothing was streamed yet. */
  finish(speed = 1): Promise<Float32Array> {
    return this.#chunk(this.#tokens, true, this.#cache ? 1 : speed);
  }

  /** Whether streaming is still possible for a speed (upstream changes speed in offline mode only). */
  static streams(speed: number): boolean {
    return speed === 1;
  }

  async #chunk(tokens: number[], finalize: boolean, speed: number): Promise<Float32Array> {
    const { manifest } = this.pack;
    const ratio = manifest.flow.token_mel_ratio;
    if (tokens.length === 0 && !this.#cache) return new Float32Array(0);
    let mel = await runFlow(this.sessions.flow, this.pack, tokens, !finalize, this.signal);
    mel = slice(mel, this.#offset * ratio);
    const cache = this.#cache;
    if (cache) mel = concat(cache.mel, mel);
    if (finalize && speed !== 1) mel = stretchMel(mel, speed);
    this.signal.throwIfAborted();
    const { speech, source } = await vocode(this.sessions.hift, manifest.hift, mel, this.draws, cache?.source ?? null);
    if (cache) this.#fade(speech, cache.speech);
    if (finalize) return speech;
    const keep = manifest.stream.source_cache;
    this.#cache = {
      mel: slice(mel, mel.frames - manifest.stream.mel_cache),
      source: source.slice(source.length - keep),
      speech: speech.slice(speech.length - keep),
    };
    return speech.slice(0, speech.length - keep);
  }

  #fade(speech: Float32Array, previous: Float32Array): void {
    const n = this.#window.length / 2;
    for (let i = 0; i < n && i < speech.length; i++) {
      speech[i] = speech[i] * this.#window[i] + previous[previous.length - n + i] * this.#window[n + i];
    }
  }
}

function slice(mel: Mel, from: number): Mel {
  const frames = Math.max(0, mel.frames - from);
  const data = new Float32Array(80 * frames);
  for (let c = 0; c < 80; c++) data.set(mel.data.subarray(c * mel.frames + from, (c + 1) * mel.frames), c * frames);
  return { data, frames };
}

function concat(a: Mel, b: Mel): Mel {
  const frames = a.frames + b.frames;
  const data = new Float32Array(80 * frames);
  for (let c = 0; c < 80; c++) {
    data.set(a.data.subarray(c * a.frames, (c + 1) * a.frames), c * frames);
    data.set(b.data.subarray(c * b.frames, (c + 1) * b.frames), c * frames + a.frames);
  }
  return { data, frames };
}
