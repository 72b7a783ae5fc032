/**
 * One `Synthesize` call on one worker session: writes text chunks, hands each audio frame on as it arrives, and
 * reports how the call ended. A speech stream runs one of these at a time (a new one after each failover).
 *
 * @module
 */
import { type ClientDuplexStream, Metadata, type ServiceError } from "@grpc/grpc-js";
import type { AudioFrame, TextChunk, TTSServiceClient } from "../../proto/gen/tts.ts";

/** How a call reports back. Nothing is reported after `cancel()`. */
export interface SynthesisCallEvents {
  frame(frame: AudioFrame): void;
  /** The call ended cleanly after its final frame. */
  done(): void;
  /** The call broke (worker gone, error status, or ended without a final frame). */
  failed(error: ServiceError | Error): void;
}

/** A running Synthesize call. */
export class SynthesisCall {
  readonly #call: ClientDuplexStream<TextChunk, AudioFrame>;
  #inputEnded = false;
  #sawFinal = false;
  #over = false;
  #cancelled = false;
  #resolveSettled = () => {};
  /** Settles when the call is over, however it ended. */
  readonly settled: Promise<void> = new Promise((resolve) => this.#resolveSettled = resolve);

  /** `metadata` carries the session and request ids into the worker's logs (see `contextMetadata`). */
  constructor(
    client: TTSServiceClient,
    readonly workerSessionId: string,
    readonly events: SynthesisCallEvents,
    metadata: Metadata = new Metadata(),
  ) {
    this.#call = client.synthesize(metadata);
    this.#call.on("data", (frame: AudioFrame) => {
      if (this.#over || this.#sawFinal) return;
      if (frame.isFinal) this.#sawFinal = true;
      events.frame(frame);
    });
    this.#call.on("end", () => {
      if (this.#sawFinal) this.#settle(() => events.done());
      else this.#settle(() => events.failed(new Error("the worker ended the Synthesize stream without a final frame")));
    });
    this.#call.on("error", (error: ServiceError) => {
      // After the final frame the outcome is known; a late error (e.g. our own half-close racing) changes nothing.
      if (this.#sawFinal) this.#settle(() => events.done());
      else this.#settle(() => events.failed(error));
    });
  }

  /** Sends text (possibly empty with `flush`). */
  send(text: string, flush: boolean): void {
    if (this.#inputEnded || this.#over || (!text && !flush)) return;
    this.#call.write({ sessionId: this.workerSessionId, text, endOfInput: false, flush });
  }

  /** No more text: the worker finishes the audio and sends the final frame. */
  endInput(): void {
    if (this.#inputEnded || this.#over) return;
    this.#inputEnded = true;
    // The chunk names the session even when no text was sent before it, so an empty stream is still valid.
    this.#call.write({ sessionId: this.workerSessionId, text: "", endOfInput: true, flush: false });
    this.#call.end();
  }

  /** Stops reading frames until `resumeDelivery` (HTTP/2 flow control then holds the worker back). */
  pauseDelivery(): void {
    this.#call.pause();
  }

  /** Reads frames again after `pauseDelivery`. */
  resumeDelivery(): void {
    this.#call.resume();
  }

  /** Abandons the call; no further events. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#call.cancel();
    // A paused readable may hold "end" back forever; the call is over for us now.
    this.#settle(() => {});
  }

  #settle(report: () => void): void {
    if (this.#over) return;
    this.#over = true;
    if (!this.#cancelled) report();
    this.#resolveSettled();
  }
}
