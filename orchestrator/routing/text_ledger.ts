/**
 * The text of one speech stream and how much of its audio has arrived from the worker, so that after a worker
 * failure the router can re-send exactly the text whose audio was not fully received. ("Heard" is kept for what the
 * client was sent: `orchestrator/session/heard_text.ts`.)
 *
 * Offsets are UTF-16 offsets into the concatenation of everything pushed. A worker labels each frame with the span
 * of text it speaks; a frame whose span starts at `s` proves that all audio of the text before `s` has arrived
 * (adapters speak text in order). So the resume point is the start of the latest span seen: the unfinished span is
 * synthesized again from its beginning, nothing before it is.
 *
 * @module
 */

/** A piece of text as pushed, with its offsets and whether synthesis was asked to start at its end. */
export interface LedgerPiece {
  text: string;
  start: number;
  end: number;
  flush: boolean;
}

/** Pushed text and received-audio progress of one stream. */
export class TextLedger {
  readonly #pieces: LedgerPiece[] = [];
  #length = 0;
  #ended = false;
  #resumeOffset = 0;
  #receivedUpTo = 0;
  #flushedUpTo = 0;

  /** Characters pushed so far. */
  get length(): number {
    return this.#length;
  }

  /** True after `end()`: no more text will come. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The audio of all text before this offset has arrived in full; a failover restarts here. */
  get resumeOffset(): number {
    return this.#resumeOffset;
  }

  /** End of the furthest span whose audio has started to arrive. */
  get receivedUpTo(): number {
    return this.#receivedUpTo;
  }

  /** Text up to here was pushed with a flush (or the input ended), so audio for it is due without more text. */
  get flushedUpTo(): number {
    return this.#ended ? this.#length : this.#flushedUpTo;
  }

  /** Appends text; returns its piece. Empty text with `flush` is a flush request only. */
  push(text: string, flush: boolean): LedgerPiece {
    if (this.#ended) throw new Error("SpeechStream.push after end(): no more text can be added to this stream");
    const piece = { text, start: this.#length, end: this.#length + text.length, flush };
    this.#pieces.push(piece);
    this.#length = piece.end;
    if (flush) this.#flushedUpTo = this.#length;
    return piece;
  }

  /** Marks the input complete. */
  end(): void {
    this.#ended = true;
  }

  /** Records a received frame's span (stream offsets). */
  received(textStart: number, textEnd: number): void {
    this.#resumeOffset = Math.max(this.#resumeOffset, Math.min(textStart, this.#length));
    this.#receivedUpTo = Math.max(this.#receivedUpTo, Math.min(textEnd, this.#length));
  }

  /** The stream's final frame arrived: the audio of everything has arrived. */
  completed(): void {
    this.#resumeOffset = this.#length;
    this.#receivedUpTo = this.#length;
  }

  /** The pieces that cover `[offset, length)`, the first one cut at `offset`, flush marks kept. */
  piecesFrom(offset: number): LedgerPiece[] {
    const out: LedgerPiece[] = [];
    for (const piece of this.#pieces) {
      if (piece.end <= offset) continue;
      if (piece.start >= offset) out.push(piece);
      else {out.push({
          text: piece.text.slice(offset - piece.start),
          start: offset,
          end: piece.end,
          flush: piece.flush,
        });}
    }
    return out;
  }

  /** The text of `[start, end)`. */
  slice(start: number, end = this.#length): string {
    let text = "";
    for (const piece of this.#pieces) {
      if (piece.end <= start || piece.start >= end) continue;
      text += piece.text.slice(Math.max(0, start - piece.start), Math.min(piece.text.length, end - piece.start));
    }
    return text;
  }
}
