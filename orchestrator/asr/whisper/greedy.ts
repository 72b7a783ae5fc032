/**
 * Greedy decoding of one encoder window, step for step as CTranslate2 does it for faster-whisper with beam_size 1,
 * temperature 0 and without_timestamps: prompt `<|sot|> [<|lang|> <|transcribe|>] <|notimestamps|>`, the no-speech
 * probability read at the `<|sot|>` position, blank and end-of-text suppressed at the first step, the non-speech and
 * control tokens suppressed at every step, argmax, log-probabilities taken after suppression. Timestamp tokens are
 * suppressed too (the transcript never carries them). Stops at end-of-text, at the token budget or on a loop.
 *
 * @module
 */
import type { CrossAttention, WhisperOnnxModel } from "./onnx_model.ts";
import { type GuardOptions, repetitionCut } from "./guards.ts";

/** The outcome of decoding one window. */
export interface WindowResult {
  /** Text tokens (no prompt, no end-of-text). */
  tokens: number[];
  noSpeechProb: number;
  /** Sum of the chosen tokens' log-probabilities (end-of-text included) / (tokens + 1), as faster-whisper reports. */
  avgLogprob: number;
  /** Why decoding stopped. */
  stop: "end" | "budget" | "repetition" | "cancelled";
  /** Decoder runs it took (the prompt's included). */
  decoderCalls: number;
}

/** The prompt for a window: English-only models have no language or task token. */
export function promptFor(model: WhisperOnnxModel, language: string): number[] {
  const info = model.info;
  if (!info.isMultilingual) return [info.sot, info.noTimestamps];
  const languageToken = info.languages.get(language);
  if (languageToken === undefined) throw new RangeError(`model ${info.name} has no language '${language}'`);
  return [info.sot, languageToken, info.transcribe, info.noTimestamps];
}

function softmaxAt(row: Float32Array, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return Math.exp(row[index] - max) / sum;
}

/** Masks suppressed ids in place, returns [argmax, its log-probability over the unmasked tokens]. */
function pick(row: Float32Array, suppressed: Uint8Array): [number, number] {
  let best = -1, max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (suppressed[i]) continue;
    if (row[i] > max) {
      max = row[i];
      best = i;
    }
  }
  let sum = 0;
  for (let i = 0; i < row.length; i++) if (!suppressed[i]) sum += Math.exp(row[i] - max);
  return [best, -Math.log(sum)];
}

/**
 * Greedy-decodes one window; `budget` caps the tokens generated (end-of-text counts as one, as in CTranslate2).
 *
 * `draft` (e.g. the last partial's tokens) is fed with the prompt in one decoder call; each draft token that equals
 * the greedy choice is accepted without another call, and decoding goes on one token per call from the first
 * difference. The result is the plain greedy result; a good draft only saves decoder calls.
 */
export async function decodeWindow(
  model: WhisperOnnxModel,
  cross: CrossAttention,
  prompt: readonly number[],
  budget: number,
  guards: GuardOptions,
  isCancelled: () => boolean = () => false,
  draft: readonly number[] = [],
): Promise<WindowResult> {
  const info = model.info;
  const vocab = info.nVocab;
  const always = new Uint8Array(vocab);
  for (const id of info.suppressed) if (id < vocab) always[id] = 1;
  for (let id = info.noTimestamps + 1; id < vocab; id++) always[id] = 1; // timestamp tokens
  const first = always.slice();
  first[info.blank] = 1;
  first[info.eot] = 1;

  const maxSteps = Math.min(budget, Math.floor(info.nTextCtx / 2), info.nTextCtx - prompt.length);
  let pending = draft.filter((t) => t < info.eot).slice(0, Math.max(0, maxSteps - 1));
  let { logits, cache } = await model.decode([...prompt, ...pending], 0, model.emptyCache(), cross);
  const sotIndex = prompt.indexOf(info.sot);
  const noSpeechProb = softmaxAt(logits.subarray(sotIndex * vocab, (sotIndex + 1) * vocab), info.noSpeech);
  let rowIndex = prompt.length - 1; // the logits row that predicts the next token
  let decoderCalls = 1;
  const tokens: number[] = [];
  let logprobSum = 0;
  let stop: WindowResult["stop"] = "budget";
  for (let step = 0; step < maxSteps; step++) {
    const [token, logprob] = pick(logits.subarray(rowIndex * vocab, (rowIndex + 1) * vocab), step ? always : first);
    logprobSum += logprob;
    if (token === info.eot) {
      stop = "end";
      break;
    }
    tokens.push(token);
    const cut = repetitionCut(tokens, guards);
    if (cut !== undefined) {
      tokens.length = cut;
      stop = "repetition";
      break;
    }
    if (step === maxSteps - 1) break;
    if (pending.length && pending[0] === token) {
      pending = pending.slice(1); // already fed: its logits row is next
      rowIndex++;
      continue;
    }
    pending = []; // a rejected draft's cache entries lie beyond the offset and are never read
    if (isCancelled()) {
      stop = "cancelled";
      break;
    }
    ({ logits, cache } = await model.decode([token], prompt.length + step, cache, cross));
    rowIndex = 0;
    decoderCalls++;
  }
  return { tokens, noSpeechProb, avgLogprob: logprobSum / (tokens.length + 1), stop, decoderCalls };
}
