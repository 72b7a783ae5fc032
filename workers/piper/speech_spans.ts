/**
 * Turns a Synthesize stream's text pieces into the spans Piper speaks one after another: whole sentences, the
 * first one cut at a clause boundary so that first audio comes from a short span. Text arriving in small pieces
 * (an LLM stream) is held until a sentence is complete, a piece asks for a flush, the input ends, or no text has
 * arrived for `idleFlushMs` — whichever comes first. Order and offsets are kept.
 *
 * @module
 */
import { hasSpeech, SentenceBuffer, splitFirstClause, type TextSpan } from "../../shared/text/mod.ts";
import { nextOrAbort } from "../runtime/abortable.ts";
import type { TextPiece } from "../runtime/adapter.ts";

/** Options of {@linkcode speechSpans}. */
export interface SpeechSpanOptions {
  /** Speak buffered text after this long without new text (ms). */
  idleFlushMs: number;
  /** Cut the first sentence at its first clause mark. */
  splitFirstClause: boolean;
  /**
   * Cut it only while the rest of the sentence has not arrived yet (text streamed by an LLM); a first sentence
   * that is complete is spoken whole. For voices whose audio comes in pieces within a sentence, where the cut would
   * cost a model run and change the sentence's prosody without bringing first audio earlier.
   */
  onlyWhileIncomplete?: boolean;
}

/** Default: a quarter second is short next to a sentence of speech and long next to an LLM's token gap. */
export const DEFAULT_SPEECH_SPAN_OPTIONS: SpeechSpanOptions = { idleFlushMs: 250, splitFirstClause: true };

const IDLE = Symbol("idle");

/**
 * While nothing has been spoken yet, a complete first clause ("Although it was raining, w…") is taken out of the
 * buffer without waiting for the end of its sentence: first audio can start while the LLM is still writing.
 */
function takeFirstClause(buffer: SentenceBuffer): TextSpan | null {
  const pending = { text: buffer.pending, start: 0, end: buffer.pending.length };
  const parts = splitFirstClause(pending, { minTail: 1 });
  return parts.length === 2 ? buffer.take(parts[0].end) : null;
}

function waitIdle(ms: number, signal: AbortSignal): { promise: Promise<typeof IDLE>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const promise = new Promise<typeof IDLE>((resolve) => {
    timer = setTimeout(() => resolve(IDLE), ms);
    onAbort = () => resolve(IDLE);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    },
  };
}

/** Spans to speak, in order, until the input ends or `signal` aborts. Spans without words are skipped. */
export async function* speechSpans(
  input: AsyncIterable<TextPiece>,
  signal: AbortSignal,
  options: SpeechSpanOptions = DEFAULT_SPEECH_SPAN_OPTIONS,
): AsyncGenerator<TextSpan> {
  const pieces = input[Symbol.asyncIterator]();
  let buffer: SentenceBuffer | null = null;
  let first = options.splitFirstClause;
  let pending: Promise<IteratorResult<TextPiece, undefined>> | null = null;

  function* release(spans: (TextSpan | null)[]): Generator<TextSpan> {
    for (const span of spans) {
      if (!span || !hasSpeech(span.text)) continue;
      const parts = first && !options.onlyWhileIncomplete ? splitFirstClause(span) : [span];
      first = false;
      yield* parts;
    }
  }

  try {
    while (!signal.aborted) {
      pending ??= nextOrAbort(pieces, signal);
      let next: IteratorResult<TextPiece, undefined> | typeof IDLE;
      if (buffer && hasSpeech(buffer.pending)) {
        const idle = waitIdle(options.idleFlushMs, signal);
        next = await Promise.race([pending, idle.promise]);
        idle.cancel();
      } else {
        next = await pending;
      }
      if (next === IDLE) {
        yield* release([buffer!.flush()]);
        continue;
      }
      pending = null;
      if (next.done) {
        yield* release([buffer?.flush() ?? null]);
        return;
      }
      const piece = next.value;
      buffer ??= new SentenceBuffer({ startOffset: piece.start });
      const spans: (TextSpan | null)[] = buffer.push(piece.text);
      if (first && spans.length === 0) spans.push(takeFirstClause(buffer));
      if (piece.flush) spans.push(buffer.flush());
      yield* release(spans);
    }
  } finally {
    pending?.catch(() => {});
    // Not awaited: the input may be parked waiting for a quiet client.
    pieces.return?.().catch(() => {});
  }
}
