/**
 * First-span splitting for fast first audio: a long first sentence is cut at its first clause mark (comma,
 * semicolon, colon, dash), and a first clause that is still long is cut once more before a word that starts a
 * phrase ("and", "in", "which", …), so that speech can start from a short span while the rest is synthesized.
 *
 * @module
 */
import type { TextSpan } from "./sentences.ts";

/** Options of {@linkcode splitFirstClause}. */
export interface FirstClauseOptions {
  /** The first part must have at least this many non-space characters (default 8). */
  minHead?: number;
  /** The rest must have at least this many non-space characters, or splitting is not worth it (default 12). */
  minTail?: number;
  /** A first clause with more words than this is cut before a phrase-starting word (default 8). */
  maxHeadWords?: number;
  /** ...but only after at least this many words (default 5). */
  minPhraseWords?: number;
}

const CLAUSE_MARK = /[,;:—–]["'”’)\]]*\s+/g;
/** Words before which English speech naturally allows a break. */
const PHRASE_STARTERS = new Set([
  "and",
  "but",
  "or",
  "so",
  "because",
  "which",
  "who",
  "whose",
  "where",
  "when",
  "while",
  "if",
  "unless",
  "although",
  "in",
  "on",
  "at",
  "to",
  "for",
  "with",
  "from",
  "by",
  "after",
  "before",
  "until",
  "since",
  "during",
  "into",
  "about",
]);

function speechLength(text: string): number {
  return text.replace(/\s/g, "").length;
}

function cut(span: TextSpan, at: number): TextSpan[] {
  return [
    { text: span.text.slice(0, at), start: span.start, end: span.start + at },
    { text: span.text.slice(at), start: span.start + at, end: span.end },
  ];
}

/** Cuts a clause of more than `maxWords` words before its first phrase starter after `minWords` words. */
function splitPhrase(span: TextSpan, maxWords: number, minWords: number): TextSpan[] {
  const words = [...span.text.matchAll(/\S+/g)];
  if (words.length <= maxWords) return [span];
  for (let i = minWords; i < Math.min(words.length - 2, maxWords + 1); i++) {
    const word = words[i][0].toLowerCase().replace(/^[^\p{L}]+/u, "");
    if (PHRASE_STARTERS.has(word)) return cut(span, words[i].index);
  }
  return [span];
}

/**
 * Splits a sentence after its first clause mark that leaves a long enough head and tail, and a still-long head
 * before a phrase starter; returns `[span]` when neither applies. The parts are contiguous and cover the span.
 */
export function splitFirstClause(span: TextSpan, options: FirstClauseOptions = {}): TextSpan[] {
  const minHead = options.minHead ?? 8;
  const minTail = options.minTail ?? 12;
  const maxWords = options.maxHeadWords ?? 8;
  const minWords = options.minPhraseWords ?? 5;
  let parts = [span];
  for (const m of span.text.matchAll(CLAUSE_MARK)) {
    const at = m.index + m[0].length;
    if (speechLength(span.text.slice(0, at)) < minHead) continue;
    if (speechLength(span.text.slice(at)) >= minTail) parts = cut(span, at);
    break;
  }
  const [head, ...rest] = parts;
  return [...splitPhrase(head, maxWords, minWords), ...rest];
}
