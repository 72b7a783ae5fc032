/**
 * One Synthesize call: text chunks in, 20 ms frames out, each frame sent the moment it exists.
 *
 * The adapter's audio iterator is pulled only while the session is not paused, and frames already cut are held
 * back while paused, so PAUSE takes effect between two frames, costs no compute, and RESUME continues with the next
 * unsent frame: nothing is lost or repeated. The stream ends with exactly one `is_final` message carrying the
 * zero-padded tail (or no audio when the audio ended on a frame boundary).
 *
 * @module
 */
import { type Metadata, type ServerDuplexStream, status } from "@grpc/grpc-js";
import type { AudioFrame, TextChunk } from "../../proto/gen/tts.ts";
import { WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { contextFromMetadata, type LogContext, withLogContext } from "../../shared/log/context.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { AudioChunk } from "./adapter.ts";
import { raceAbort } from "./abortable.ts";
import { FrameCutter } from "./frame_cutter.ts";
import { FrameWriter } from "./frame_writer.ts";
import { RpcError, statusName, toRpcError, toServiceError } from "./rpc_error.ts";
import type { Session, StreamTicket } from "./session.ts";
import { type SessionTable, validateSessionId } from "./session_table.ts";
import { TextInput } from "./text_input.ts";
import type { WorkerMetrics } from "./worker_metrics.ts";
import type { WorkerLimits } from "./limits.ts";
import { audit } from "../../shared/log/audit.ts";

const log = getLogger("worker", "synthesis");

/** What a Synthesize call needs from the worker. */
export interface SynthesisContext {
  sessions: SessionTable;
  limits: WorkerLimits;
  /** Throws UNAUTHENTICATED when the call lacks the call credential. */
  authorize(metadata: Metadata | undefined, rpc: string): void;
  /** Non-null while the worker drains: new streams get UNAVAILABLE with this message. */
  refusal(): string | null;
  /** The set of running streams (queue depth, shutdown). */
  streams: Set<SynthesisStream>;
  /** Latency and output counters; absent in tests that do not look at them. */
  metrics?: WorkerMetrics | null;
}

type Call = ServerDuplexStream<TextChunk, AudioFrame>;

/** A running Synthesize call. */
export class SynthesisStream {
  #input: TextInput | null = null;
  #session: Session | null = null;
  #ticket: StreamTicket | null = null;
  /** Aborted when the client cancels or sends a bad chunk mid-stream. */
  readonly #local = new AbortController();
  #clientGone = false;
  /** The orchestrator's session and request ids from the call's metadata, for every line this stream logs. */
  #logFields: LogContext = {};
  #awaitingAudio = false;
  #closed = false;
  #firstChunkTimer: ReturnType<typeof setTimeout> | undefined;
  #resolveClosed = () => {};
  #resolveOnWire = () => {};
  /**
   * Settles when the call is over: the stream has ended (all frames out, or an error) AND grpc-js has handed its
   * status to HTTP/2 (it then reports the call as 'cancelled', its word for "over"), so closing the server after
   * this cannot cut the status off.
   */
  readonly done: Promise<void> = Promise.all([
    new Promise<void>((resolve) => this.#resolveClosed = resolve),
    new Promise<void>((resolve) => this.#resolveOnWire = resolve),
  ]).then(() => {});

  constructor(readonly call: Call, readonly context: SynthesisContext) {}

  /** True while the stream waits for the adapter to compute audio (not for more text): the queue depth. */
  get waitingForCompute(): boolean {
    return this.#awaitingAudio && !(this.#input?.waitingForText ?? false);
  }

  /** Session id once the first chunk arrived. */
  get sessionId(): string | null {
    return this.#session?.id ?? null;
  }

  /** Wires the call's events; the stream then runs on its own. */
  attach(): void {
    const refusal = this.context.refusal();
    if (refusal) {
      this.#resolveOnWire(); // never tracked, nobody waits for it
      return this.#fail(new RpcError(status.UNAVAILABLE, refusal));
    }
    try {
      this.context.authorize(this.call.metadata, "Synthesize");
    } catch (error) {
      audit({
        action: "rpc.denied",
        outcome: "denied",
        target: "Synthesize",
        client: this.call.getPeer(),
        via: "grpc",
      });
      this.#resolveOnWire();
      return this.#fail(error);
    }
    this.context.streams.add(this);
    this.#logFields = contextFromMetadata((key) => this.call.metadata?.get(key)[0]);
    // A call that never names its session would be tracked for ever: it gets a deadline for its first chunk.
    this.#firstChunkTimer = setTimeout(() => {
      if (this.#input || this.#closed) return;
      this.#fail(
        new RpcError(
          status.DEADLINE_EXCEEDED,
          `no TextChunk within ${this.context.limits.firstChunkTimeoutMs} ms of opening the Synthesize stream ` +
            "(WORKER_FIRST_CHUNK_TIMEOUT_MS)",
        ),
      );
    }, this.context.limits.firstChunkTimeoutMs);
    this.call.on("data", (chunk: TextChunk) => this.#onChunk(chunk));
    this.call.on("end", () => {
      if (!this.#input) {
        this.#fail(new RpcError(status.INVALID_ARGUMENT, "Synthesize stream closed before its first TextChunk"));
      } else this.#input.close();
    });
    this.call.on("cancelled", () => {
      this.#resolveOnWire();
      if (this.#closed) return; // the status went out: the call is simply over
      this.#clientGone = true;
      this.#local.abort(new RpcError(status.CANCELLED, "client cancelled the stream"));
      this.#input?.close();
      if (!this.#ticket) this.#close();
    });
  }

  /** Cancels the stream with `reason` (shutdown after the grace period). */
  cancel(reason: RpcError): void {
    if (this.#session) void this.#session.cancelStream(reason);
    else this.#fail(reason);
  }

  #onChunk(chunk: TextChunk): void {
    if (this.#closed) return;
    try {
      if (this.#input) return this.#input.accept(chunk);
      validateSessionId(chunk.sessionId, "the first TextChunk of a Synthesize stream");
      const session = this.context.sessions.get(chunk.sessionId);
      const input = new TextInput(session.id, this.context.limits, (hold) => {
        if (hold) this.call.pause();
        else this.call.resume();
      });
      clearTimeout(this.#firstChunkTimer);
      input.accept(chunk);
      this.#ticket = session.beginStream();
      this.#session = session;
      this.#input = input;
      const ticket = this.#ticket;
      void withLogContext(
        { ...this.#logFields, worker_session_id: session.id },
        () => this.#run(session, input, ticket),
      );
    } catch (error) {
      // A bad later chunk stops the running pipeline at once; a bad first chunk ends the call directly.
      if (this.#input) this.#local.abort(toRpcError(error));
      else this.#fail(error);
    }
  }

  async #run(session: Session, input: TextInput, ticket: StreamTicket): Promise<void> {
    const signal = AbortSignal.any([ticket.signal, this.#local.signal]);
    const use = session.lease.open();
    const writer = new FrameWriter(this.call, session.id);
    const cutter = new FrameCutter();
    const startedAt = performance.now();
    let audio: AsyncIterator<AudioChunk> | null = null;
    try {
      audio = use.model.synthesize(input.pieces(), session.options, signal)[Symbol.asyncIterator]();
      while (true) {
        // Pull the adapter only while not paused: a paused session costs nothing and resumes where it was.
        await session.waitWhilePaused(signal);
        const next = await this.#nextAudio(audio, signal);
        if (next.done) break;
        for (const frame of cutter.push(next.value)) {
          await session.waitWhilePaused(signal);
          await writer.send(frame, cutter.textEnd, false, signal);
        }
      }
      await session.waitWhilePaused(signal);
      await writer.send(cutter.flush(), cutter.textEnd, true, signal);
      this.#finish(null);
      this.#record(session.modelId, "ok", writer, startedAt);
      log.info("synthesized {audio_ms} ms of audio in {frames} frames, first frame after {first_ms} ms", {
        audio_ms: Math.round((writer.bytesSent / 2 / WIRE_SAMPLE_RATE) * 1000),
        model_id: session.modelId,
        frames: writer.sent,
        first_ms: writer.firstSentAt ? Math.round((writer.firstSentAt - startedAt) * 10) / 10 : null,
      });
    } catch (error) {
      const reason = signal.aborted ? signal.reason : error;
      if (!signal.aborted) {
        log.warn("synthesis of session {worker_session_id} failed: {error}", {
          worker_session_id: session.id,
          model_id: session.modelId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      this.#finish(this.#clientGone ? null : reason);
      this.#record(session.modelId, signal.aborted ? "cancelled" : "error", writer, startedAt);
      // The adapter has seen the abort (or failed); closing its input and returning lets it clean up.
      input.close();
      try {
        audio?.return?.()?.catch(() => {});
      } catch { /* an adapter that cannot even clean up has nothing left to release */ }
    } finally {
      use.end();
      ticket.finish();
    }
  }

  #record(model: string, outcome: "ok" | "cancelled" | "error", writer: FrameWriter, startedAt: number): void {
    const metrics = this.context.metrics;
    if (!metrics) return;
    metrics.streams.inc({ model, outcome });
    if (writer.firstSentAt) metrics.firstFrame.observe(writer.firstSentAt - startedAt, { model });
    if (writer.bytesSent > 0) metrics.audioSeconds.inc({ model }, writer.bytesSent / 2 / WIRE_SAMPLE_RATE);
  }

  async #nextAudio(audio: AsyncIterator<AudioChunk>, signal: AbortSignal): Promise<IteratorResult<AudioChunk>> {
    this.#awaitingAudio = true;
    try {
      return await raceAbort(audio.next(), signal);
    } finally {
      this.#awaitingAudio = false;
    }
  }

  /** Ends the call: OK when `error` is null (after the final frame), else with the error's status. */
  #finish(error: unknown): void {
    if (this.#closed) return;
    if (error === null) {
      this.#closed = true;
      if (!this.#clientGone) this.call.end();
      this.#close();
      return;
    }
    this.#fail(error);
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    const rpc = toRpcError(error);
    if (!this.#clientGone) {
      log.debug("Synthesize ended with {status}: {message}", {
        worker_session_id: this.sessionId,
        status: statusName(rpc.code),
        message: rpc.message,
      });
    }
    this.#closed = true;
    if (!this.#clientGone) this.call.emit("error", toServiceError(rpc));
    this.#close();
  }

  #close(): void {
    this.#closed = true;
    clearTimeout(this.#firstChunkTimer);
    this.context.streams.delete(this);
    this.#resolveClosed();
  }
}
