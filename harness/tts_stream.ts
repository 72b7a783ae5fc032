/**
 * Helpers for one TTSService Synthesize stream over real gRPC: a TextChunk with defaults, and every frame of a call
 * collected until it ends, and a promised unary call. Used by the worker tests and by benches that talk to a worker directly.
 *
 * @module
 */
import type { ClientDuplexStream, Metadata, ServiceError } from "@grpc/grpc-js";
import type { AudioFrame, TextChunk } from "../proto/gen/tts.ts";

/** A grpc-js unary method, callback style. */
export type UnaryMethod<Req, Res> = (req: Req, cb: (e: Error | null, r: Res) => void) => unknown;

/** Calls a unary method (bound to its client) and resolves with its response. */
export function unary<Req, Res>(fn: UnaryMethod<Req, Res>, req: Req): Promise<Res> {
  return new Promise<Res>((resolve, reject) => fn(req, (e, r) => e ? reject(e) : resolve(r)));
}

/** What a Synthesize call returned. */
export interface SynthesisResult {
  frames: AudioFrame[];
  /** Null when the stream ended with OK. */
  error: ServiceError | null;
}

/** A TextChunk with defaults. */
export function chunk(sessionId: string, text: string, extra: Partial<TextChunk> = {}): TextChunk {
  return { sessionId, text, endOfInput: false, flush: false, ...extra };
}

/** Collects every frame of a call until it ends (OK or error); `onFrame` sees each frame as it arrives. */
export function collect(
  call: ClientDuplexStream<TextChunk, AudioFrame>,
  onFrame?: (frame: AudioFrame) => void,
): Promise<SynthesisResult> {
  const frames: AudioFrame[] = [];
  return new Promise((resolve) => {
    let settled = false;
    call.on("data", (frame: AudioFrame) => {
      frames.push(frame);
      onFrame?.(frame);
    });
    call.on("error", (error: ServiceError) => {
      if (!settled) resolve({ frames, error });
      settled = true;
    });
    call.on("status", (s: { code: number; metadata: Metadata }) => {
      if (s.code === 0 && !settled) {
        settled = true;
        // 'status' can come before the last 'data' events are delivered; wait for the stream's end.
        if (call.readableEnded) resolve({ frames, error: null });
        else call.once("end", () => resolve({ frames, error: null }));
      }
    });
  });
}
