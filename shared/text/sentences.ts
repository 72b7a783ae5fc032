/**
 * Sentence splitting for speech: where one sentence ends and the next begins, robust to abbreviations ("Dr.",
 * "e.g."), initials, decimals ("3.14"), ellipses, quotes and brackets. Spans are contiguous and cover the whole
 * text (each span keeps the whitespace that follows it), so UTF-16 offsets map audio back to the text exactly.
 *
 * @module
 */
import { dotMayEndSentence } from "./abbreviations.ts";

/** A piece of text with its UTF-16 offsets in a larger text (`text === whole.slice(start, end)`). */
export interface TextSpan {
  text: string;
  start: number;
  end: number;
}

const TERMINALS = new Set([".", "!", "?", "…"]);
/** Full-width terminals end a sentence without a following space. */
const WIDE_TERMINALS = new Set(["。", "！", "？"]);
const CLOSERS = new Set(['"', "'", "”", "’", ")", "]", "}", "»"]);

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && /\s/.test(ch);
}

function isLower(ch: string | undefined): boolean {
  return ch !== undefined && /\p{Ll}/u.test(ch);
}

/** The letters and inner dots just before `index` ("e.g" in "e.g.", "Dr" in "Dr."). */
function wordBefore(text: string, index: number): string {
  let i = index;
  while (i > 0 && /[\p{L}.]/u.test(text[i - 1])) i--;
  return text.slice(i, index);
}

/**
 * If a sentence ends at the terminal punctuation starting at `i`, returns where the next sentence starts; -1 when it
 * does not end there; `null` when the text seen so far cannot tell (the next word has not arrived yet).
 */
function endAfterTerminal(text: string, i: number): number | null {
  let j = i;
  while (j < text.length && TERMINALS.has(text[j])) j++;
  const run = text.slice(i, j);
  while (j < text.length && CLOSERS.has(text[j])) j++;
  if (j === text.length) return null;
  if (!isSpace(text[j])) return -1; // "3.14", "U.S.A", "e.g.,": punctuation inside a token
  let k = j;
  let newline = false;
  while (k < text.length && isSpace(text[k])) {
    if (text[k] === "\n") newline = true;
    k++;
  }
  if (newline) return k === text.length ? null : k;
  if (k === text.length) return null;
  if (isLower(text[k])) return -1; // "e.g. this", "Wait... what", '"Sure?" she asked'
  if (run === "." && !dotMayEndSentence(wordBefore(text, i))) return -1;
  return k;
}

/** A line break ends a sentence (lists, paragraphs); returns where the next one starts, or null if unknown yet. */
function endAfterNewline(text: string, i: number): number | null {
  let k = i;
  while (k < text.length && isSpace(text[k])) k++;
  return k === text.length ? null : k;
}

/**
 * Offsets where sentences start after the first one, scanning `text` from `from`. Boundaries that depend on text
 * not yet seen are not reported, so a streaming caller can scan again when more arrives.
 */
export function sentenceStarts(text: string, from = 0): number[] {
  const starts: number[] = [];
  let hasWords = false;
  let hasLetters = false;
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    let next: number | null = -1;
    if (WIDE_TERMINALS.has(ch)) {
      let j = i + 1;
      while (j < text.length && (CLOSERS.has(text[j]) || isSpace(text[j]))) j++;
      next = j < text.length ? j : null;
    } else if (TERMINALS.has(ch) && hasWords) {
      // "1. Apples": a number with a dot and no words before it is a list marker, not a sentence.
      const listMarker = ch === "." && !hasLetters && /\d$/.test(text.slice(from, i));
      next = listMarker ? -1 : endAfterTerminal(text, i);
    } else if (ch === "\n" && hasWords) {
      next = endAfterNewline(text, i);
    }
    if (next === null) break;
    if (next > i) {
      starts.push(next);
      hasWords = false;
      hasLetters = false;
      i = next;
      continue;
    }
    if (/[\p{L}\p{N}]/u.test(ch)) hasWords = true;
    if (/\p{L}/u.test(ch)) hasLetters = true;
    i++;
    // A rejected "..." or "?!" is one mark: its later dots must not be judged again as sentence ends.
    if (TERMINALS.has(ch)) { while (i < text.length && TERMINALS.has(text[i])) i++; }
  }
  return starts;
}

/** Cuts `text` at `starts` into contiguous spans, offsets shifted by `base`. */
export function cutSpans(text: string, starts: number[], base = 0): TextSpan[] {
  const spans: TextSpan[] = [];
  let prev = 0;
  for (const s of [...starts, text.length]) {
    if (s > prev) spans.push({ text: text.slice(prev, s), start: base + prev, end: base + s });
    prev = s;
  }
  return spans;
}

/** Splits a complete text into sentences: contiguous spans covering all of it, in order. */
export function splitSentences(text: string): TextSpan[] {
  return cutSpans(text, sentenceStarts(text));
}

/** True when the span has something to say (not only whitespace and punctuation). */
export function hasSpeech(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}
