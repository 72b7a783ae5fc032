/**
 * Heard-text accounting: which part of a response's text the user actually heard, derived from the frames that were
 * sent (each frame carries the UTF-16 span of the text it speaks). Spans whose every frame was sent count in full;
 * the span being spoken when the response stopped counts up to the word boundary at the fraction of its frames
 * that went out. While a span is still being synthesized its length in frames is not known yet: it is estimated
 * from the speaking rate of the spans already complete (or a typical rate), so a fast worker that has produced only
 * part of a long span does not make the whole span count as heard.
 *
 * @module
 */

interface Span {
  start: number;
  end: number;
  received: number;
  sent: number;
}

/** Frames (20 ms) per character of English speech at a typical rate (~15 characters per second). */
const DEFAULT_FRAMES_PER_CHAR = 3.3;

/** Tracks frames received and sent for one response. */
export class HeardTextTracker {
  #spans: Span[] = [];
  #complete = false;

  /** A frame for text `[textStart, textEnd)` arrived from the worker. */
  received(textStart: number, textEnd: number): void {
    const last = this.#spans.at(-1);
    if (last && last.start === textStart && last.end === textEnd) last.received++;
    else this.#spans.push({ start: textStart, end: textEnd, received: 1, sent: 0 });
  }

  /** A frame for text `[textStart, textEnd)` was sent to the client. */
  sent(textStart: number, textEnd: number): void {
    const span = this.#spans.find((s) => s.start === textStart && s.end === textEnd && s.sent < s.received);
    if (span) span.sent++;
  }

  /** The worker sent its last frame: every span is now known in full. */
  markComplete(): void {
    this.#complete = true;
  }

  /** The end offset (exclusive) of the heard text within `text`. */
  heardEnd(text: string): number {
    const framesPerChar = this.#framesPerChar();
    let heard = 0;
    for (let i = 0; i < this.#spans.length; i++) {
      const span = this.#spans[i];
      const closed = i < this.#spans.length - 1 || this.#complete;
      if (span.sent === span.received && closed) {
        heard = Math.max(heard, span.end);
        continue;
      }
      if (span.sent > 0) {
        const chars = span.end - span.start;
        const total = closed ? span.received : Math.max(span.received, Math.round(chars * framesPerChar));
        const estimate = span.start + Math.floor((chars * span.sent) / total);
        heard = Math.max(heard, wordBoundaryAtOrBefore(text, estimate, span.start));
      }
      break;
    }
    return Math.min(heard, text.length);
  }

  /** Frames per character of the spans known in full, or a typical rate when none is. */
  #framesPerChar(): number {
    let frames = 0;
    let chars = 0;
    const closedCount = this.#complete ? this.#spans.length : this.#spans.length - 1;
    for (const span of this.#spans.slice(0, Math.max(0, closedCount))) {
      frames += span.received;
      chars += span.end - span.start;
    }
    return chars >= 10 ? frames / chars : DEFAULT_FRAMES_PER_CHAR;
  }

  /** The heard prefix of `text`, trimmed. */
  heardText(text: string): string {
    return text.slice(0, this.heardEnd(text)).trim();
  }
}

/** The last word boundary at or before `position`, not before `floor`. */
function wordBoundaryAtOrBefore(text: string, position: number, floor: number): number {
  if (position >= text.length) return text.length;
  for (let i = position; i > floor; i--) {
    if (/\s/.test(text[i])) return i;
  }
  return floor;
}
