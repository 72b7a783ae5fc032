/**
 * The text side of a Synthesize stream: validates each incoming TextChunk, gives it UTF-16 offsets in the
 * concatenation of the stream's text, and hands the pieces to the adapter as an async iterable.
 *
 * Text is bounded per chunk, per stream, and while it waits for the adapter: above `maxQueuedChars` waiting, the
 * stream is told to stop reading the call (`onBackpressure(true)`; HTTP/2 flow control then holds the client back)
 * until the adapter has taken half of it; a client that still pushes past twice the limit is refused.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { TextChunk } from "../../proto/gen/tts.ts";
import type { TextPiece } from "./adapter.ts";
import type { WorkerLimits } from "./limits.ts";
import { RpcError } from "./rpc_error.ts";

/** Incoming text of one stream, consumed once by the adapter. */
export class TextInput {
  readonly #queue: TextPiece[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  #offset = 0;
  #waitingForText = false;
  #queuedChars = 0;
  #holding = false;

  constructor(
    readonly sessionId: string,
    readonly limits: Pick<WorkerLimits, "maxTextChars" | "maxStreamChars" | "maxQueuedChars">,
    readonly onBackpressure: (hold: boolean) => void = () => {},
  ) {}

  /** Characters received and not yet taken by the adapter. */
  get queuedChars(): number {
    return this.#queuedChars;
  }

  /** True while the adapter is blocked waiting for more text (so the stream is not waiting for compute). */
  get waitingForText(): boolean {
    return this.#waitingForText;
  }

  /** Validates and queues one chunk; throws INVALID_ARGUMENT naming the problem. */
  accept(chunk: TextChunk): void {
    if (this.#closed) {
      throw new RpcError(status.INVALID_ARGUMENT, "TextChunk received after end_of_input");
    }
    if (chunk.sessionId && chunk.sessionId !== this.sessionId) {
      throw new RpcError(
        status.INVALID_ARGUMENT,
        `TextChunk.session_id "${chunk.sessionId}" differs from the stream's session "${this.sessionId}"`,
      );
    }
    const text = chunk.text;
    if (!text && !chunk.endOfInput && !chunk.flush) {
      throw new RpcError(status.INVALID_ARGUMENT, "TextChunk.text is empty (send text, flush or end_of_input)");
    }
    const { maxTextChars, maxStreamChars, maxQueuedChars } = this.limits;
    if (text.length > maxTextChars) {
      throw new RpcError(
        status.INVALID_ARGUMENT,
        `TextChunk.text has ${text.length} characters; the limit is ${maxTextChars} (WORKER_MAX_TEXT_CHARS)`,
      );
    }
    if (this.#offset + text.length > maxStreamChars) {
      throw new RpcError(
        status.RESOURCE_EXHAUSTED,
        `the Synthesize stream would carry ${this.#offset + text.length} characters; the limit is ${maxStreamChars} ` +
          "(WORKER_MAX_STREAM_CHARS): end the stream and start another",
      );
    }
    if (this.#queuedChars + text.length > 2 * maxQueuedChars) {
      throw new RpcError(
        status.RESOURCE_EXHAUSTED,
        `${this.#queuedChars + text.length} characters are waiting for synthesis; the limit is ${maxQueuedChars} ` +
          "(WORKER_MAX_QUEUED_CHARS): send text no faster than it is spoken",
      );
    }
    if (text || chunk.flush) {
      // A flush-only chunk becomes an empty piece: it carries no text, only the request to synthesize now.
      const start = this.#offset;
      this.#offset += text.length;
      this.#queuedChars += text.length;
      this.#queue.push({ text, start, end: this.#offset, ...(chunk.flush ? { flush: true } : {}) });
      if (!this.#holding && this.#queuedChars > maxQueuedChars) {
        this.#holding = true;
        this.onBackpressure(true);
      }
    }
    if (chunk.endOfInput) this.#closed = true;
    this.#notify();
  }

  /** The client half-closed the stream (or the stream is being torn down): no more text. */
  close(): void {
    this.#closed = true;
    this.#notify();
  }

  /** The pieces, in order, ending when the input closes. */
  async *pieces(): AsyncGenerator<TextPiece> {
    while (true) {
      const piece = this.#queue.shift();
      if (piece) {
        this.#queuedChars -= piece.text.length;
        if (this.#holding && this.#queuedChars <= this.limits.maxQueuedChars / 2) {
          this.#holding = false;
          this.onBackpressure(false);
        }
        yield piece;
        continue;
      }
      if (this.#closed) return;
      this.#waitingForText = true;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#waitingForText = false;
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
