/**
 * Streaming sentence assembly for text that arrives in small pieces (an LLM stream): `push` returns the sentences
 * completed so far, `flush` the rest. Offsets run over the concatenation of everything pushed.
 *
 * @module
 */
import { cutSpans, sentenceStarts, type TextSpan } from "./sentences.ts";

/** Options of a {@linkcode SentenceBuffer}. */
export interface SentenceBufferOptions {
  /** Offset of the first pushed character (default 0). */
  startOffset?: number;
  /**
   * A sentence longer than this (UTF-16 units) is cut at its last clause mark or space before the limit, so that
   * text without punctuation never piles up (default 400).
   */
  maxChars?: number;
}

const CLAUSE_CUT = /[,;:—–]\s/g;

/** Where to cut an over-long pending text: after its last clause mark, else at its last space, else at `max`. */
function forcedCut(text: string, max: number): number {
  const head = text.slice(0, max);
  let cut = -1;
  for (const m of head.matchAll(CLAUSE_CUT)) cut = m.index + m[0].length;
  if (cut > 0) return cut;
  const space = head.search(/\s\S*$/);
  return space > 0 ? space + 1 : max;
}

/** Buffers streamed text up to sentence boundaries. */
export class SentenceBuffer {
  #pending = "";
  #base: number;
  readonly #maxChars: number;

  constructor(options: SentenceBufferOptions = {}) {
    this.#base = options.startOffset ?? 0;
    this.#maxChars = Math.max(16, options.maxChars ?? 400);
  }

  /** Text received but not yet returned as a sentence. */
  get pending(): string {
    return this.#pending;
  }

  /** Adds text; returns every sentence it completed (possibly none), in order. */
  push(text: string): TextSpan[] {
    this.#pending += text;
    const starts = sentenceStarts(this.#pending);
    const out = this.#take(starts.length ? starts[starts.length - 1] : 0, starts);
    while (this.#pending.length > this.#maxChars) {
      out.push(...this.#take(forcedCut(this.#pending, this.#maxChars)));
    }
    return out;
  }

  /** Returns everything pending as one span (null when nothing is pending) and empties the buffer. */
  flush(): TextSpan | null {
    if (!this.#pending) return null;
    return this.#take(this.#pending.length)[0];
  }

  /** Removes the first `count` pending characters and returns them as a span (null when `count` is 0). */
  take(count: number): TextSpan | null {
    return this.#take(Math.min(count, this.#pending.length))[0] ?? null;
  }

  #take(upTo: number, starts: number[] = [upTo]): TextSpan[] {
    if (upTo <= 0) return [];
    const head = this.#pending.slice(0, upTo);
    const spans = cutSpans(head, starts.filter((s) => s < upTo), this.#base);
    this.#pending = this.#pending.slice(upTo);
    this.#base += upTo;
    return spans;
  }
}
