/**
 * Hallucination guards for greedy Whisper decoding. Whisper can loop ("the river bank. the river bank. …") or invent
 * text over silence; these rules stop it. They are loose enough never to touch normal speech (people say about
 * 3–4 tokens per second), so transcripts of real speech stay identical to faster-whisper's.
 *
 * @module
 */

/** Thresholds, with faster-whisper's defaults where it has the same rule. */
export interface GuardOptions {
  /** A window whose no-speech probability is above this … (faster-whisper `no_speech_threshold`, 0.6) */
  noSpeechThreshold: number;
  /** … and whose mean token log-probability is below this is silence: its text is dropped (`log_prob_threshold`). */
  logProbThreshold: number;
  /** Token budget per second of audio in the window, plus `tokenSlack`; decoding stops there. */
  maxTokensPerSecond: number;
  tokenSlack: number;
  /** Stop when the last n tokens (n ≤ `repeatMaxPeriod`) have repeated this many times in a row … */
  repeatCount: number;
  repeatMaxPeriod: number;
  /** … or, for a block of at least `longRepeatMinPeriod` tokens (a phrase or sentence), this many times. */
  longRepeatCount: number;
  longRepeatMinPeriod: number;
}

/** The guards' default settings. */
export const DEFAULT_GUARDS: GuardOptions = {
  noSpeechThreshold: 0.6,
  logProbThreshold: -1,
  maxTokensPerSecond: 12,
  tokenSlack: 10,
  repeatCount: 4,
  repeatMaxPeriod: 48,
  longRepeatCount: 4,
  longRepeatMinPeriod: 6,
};

/**
 * For short ("fit") encoder windows: Whisper there tends to say the whole utterance twice, and a phrase said twice
 * in a row verbatim is far likelier a loop than speech, so a second copy of a 6+ token block already stops it.
 */
export const SHORT_WINDOW_GUARDS: GuardOptions = { ...DEFAULT_GUARDS, longRepeatCount: 2 };

/** The most tokens a window of `seconds` of audio may produce (never more than the model's own limit). */
export function tokenBudget(seconds: number, guards: GuardOptions, modelLimit: number): number {
  return Math.min(modelLimit, Math.ceil(seconds * guards.maxTokensPerSecond) + guards.tokenSlack);
}

/**
 * When `tokens` ends in a block of `period` tokens repeated `count` times in a row, returns the length to keep
 * (everything up to and including the first copy of the block); otherwise `undefined`.
 */
export function repetitionCut(tokens: readonly number[], guards: GuardOptions): number | undefined {
  const n = tokens.length;
  for (let period = 1; period <= guards.repeatMaxPeriod; period++) {
    // A single token repeated a few times can be real ("no no no"), so short periods need more copies.
    const count = period === 1
      ? Math.max(guards.repeatCount, 8)
      : period >= guards.longRepeatMinPeriod
      ? guards.longRepeatCount
      : guards.repeatCount;
    if (period * count > n) continue;
    let repeated = true;
    for (let i = n - period * (count - 1); i < n && repeated; i++) {
      if (tokens[i] !== tokens[i - period]) repeated = false;
    }
    if (repeated) return n - period * (count - 1);
  }
  return undefined;
}

/** faster-whisper's silence rule: drop the window's text when it is probably not speech. */
export function isSilence(noSpeechProb: number, avgLogprob: number, guards: GuardOptions): boolean {
  return noSpeechProb > guards.noSpeechThreshold && !(avgLogprob > guards.logProbThreshold);
}
