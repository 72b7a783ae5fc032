/**
 * Tells real words from backchannels, fillers and recognizer hallucinations. During an interruption, "mm-hmm",
 * "uh" or a cough that the ASR writes as "Hmm." must not stop the agent (the false-interruption rule: "a cough,
 * mm-hmm"), while any other word does. Whisper also invents short phrases for short non-speech sounds ("Take care."
 * for a 150 ms hum), so words count only when they fit in the time the user actually spoke, and a short sound's
 * transcript counts only when the recognizer is reasonably sure of it ("It's" at confidence 0.21 for a noise burst).
 *
 * @module
 */

/** Fillers and backchannels that do not claim the turn (lower case, without punctuation). */
const FILLERS = new Set([
  "mm",
  "mmm",
  "hm",
  "hmm",
  "hmmm",
  "mhm",
  "mm-hmm",
  "mmhmm",
  "uh-huh",
  "uh",
  "uhh",
  "um",
  "umm",
  "er",
  "erm",
  "ah",
  "oh",
  "eh",
]);

/** True when `text` contains at least one word that is not a filler or a non-speech tag like `[cough]`. */
export function hasRealWords(text: string): boolean {
  const withoutTags = text.replace(/\[[^\]]*\]|\([^)]*\)|\*[^*]*\*/g, " ");
  const words = withoutTags.toLowerCase().replace(/[^\p{L}\p{N}'-]+/gu, " ").split(/\s+/).filter((w) => w.length > 0);
  return words.some((word) => !FILLERS.has(word.replace(/^-+|-+$/g, "")));
}

/** Letters per second of speech no one exceeds (fast speech is about 15–20). */
const MAX_LETTERS_PER_SECOND = 20;
/** Allowance for the VAD cutting a short word close (a clipped "no" still counts). */
const LETTER_ALLOWANCE = 2;

/**
 * Below this recognizer confidence (0..1) the transcript of a short sound is taken for a hallucination. Whisper's
 * confidence is its mean token probability. Measured with tiny.en (tests/orchestrator/asr/whisper/
 * interruption_words_test.ts): 38 short interruptions of 40 (4 voices) score 0.53–0.89, the other two are
 * misrecognitions at 0.38; what it invents for fragments of background voices scores 0.18–0.40 ("Right." 0.37,
 * "I can't wait." 0.34), and 0.3 would let four of ten such fragments stop the agent.
 */
export const MIN_SHORT_SPEECH_CONFIDENCE = 0.4;
/** Speech shorter than this (ms) needs {@linkcode MIN_SHORT_SPEECH_CONFIDENCE}; longer speech is rarely invented. */
export const SHORT_SPEECH_MS = 1_000;

/**
 * True when `text` should stop the agent: it has real words, no more letters than `speechMs` of speech can carry
 * (a transcript far longer than the sound it came from is invented), and, for short speech, the recognizer's
 * `confidence` (when known) is at least {@linkcode MIN_SHORT_SPEECH_CONFIDENCE}.
 */
export function claimsTurn(text: string, speechMs: number, confidence?: number): boolean {
  if (!hasRealWords(text)) return false;
  if (confidence !== undefined && confidence < MIN_SHORT_SPEECH_CONFIDENCE && speechMs < SHORT_SPEECH_MS) return false;
  const letters = text.replace(/[^\p{L}\p{N}]/gu, "").length;
  return letters <= (MAX_LETTERS_PER_SECOND * Math.max(0, speechMs)) / 1000 + LETTER_ALLOWANCE;
}
