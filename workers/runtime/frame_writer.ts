/**
 * Writes audio frames to a Synthesize call with sequence numbers and flow control. At most
 * {@linkcode MAX_FRAMES_IN_TRANSPORT} frames may wait inside grpc-js for the HTTP/2 stream to take them; the next
 * frame waits until one is taken (and, should the stream report a full buffer, until 'drain'). So a slow client
 * slows the adapter down instead of piling frames up in memory, and after PAUSE only a few frames are still on
 * their way: PAUSE-to-silence stays short.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { ServerDuplexStream } from "@grpc/grpc-js";
import type { AudioFrame, TextChunk } from "../../proto/gen/tts.ts";
import { FRAME_MS, WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import type { CutFrame } from "./frame_cutter.ts";

/**
 * Frames handed to grpc-js but not yet written to the HTTP/2 stream. grpc-js alone would buffer 16 messages (its
 * stream high-water mark): 320 ms of audio that would still arrive after a PAUSE.
 */
export const MAX_FRAMES_IN_TRANSPORT = 2;

/** Sends the frames of one stream, numbering them from 1. */
export class FrameWriter {
  #sequence = 0;
  #firstSentAt = 0;
  #bytesSent = 0;
  #pending = 0;
  #onWritten: (() => void) | null = null;

  constructor(
    readonly call: ServerDuplexStream<TextChunk, AudioFrame>,
    readonly sessionId: string,
  ) {}

  /** Frames sent so far. */
  get sent(): number {
    return this.#sequence;
  }

  /** PCM bytes sent so far (s16le mono at the wire rate). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** `performance.now()` when the first frame was handed to gRPC (0 before). */
  get firstSentAt(): number {
    return this.#firstSentAt;
  }

  /** Sends one frame; resolves when the transport can take more. Rejects with the abort reason on abort. */
  async send(frame: CutFrame | null, textEnd: number, isFinal: boolean, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    const bytes = frame?.bytes ?? new Uint8Array(0);
    const message: AudioFrame = {
      sessionId: this.sessionId,
      sequenceNumber: ++this.#sequence,
      audio: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      sampleRate: WIRE_SAMPLE_RATE,
      frameMs: FRAME_MS,
      isFinal,
      textStart: frame?.textStart ?? textEnd,
      textEnd: frame?.textEnd ?? textEnd,
    };
    if (this.#firstSentAt === 0) this.#firstSentAt = performance.now();
    this.#bytesSent += bytes.byteLength;
    this.#pending++;
    const roomLeft = this.call.write(message, () => {
      this.#pending--;
      const wake = this.#onWritten;
      this.#onWritten = null;
      wake?.();
    });
    if (!roomLeft) await this.#drain(signal);
    while (this.#pending >= MAX_FRAMES_IN_TRANSPORT) await this.#written(signal);
  }

  #written(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#onWritten = null;
        reject(signal.reason);
      };
      this.#onWritten = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #drain(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.call.off("drain", onDrain);
        reject(signal.reason);
      };
      this.call.once("drain", onDrain);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
