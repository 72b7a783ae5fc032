/**
 * A speech stream routed to a worker, with failover: if the worker breaks mid-response (stream error, health
 * NOT_SERVING, left the registry, or no audio while audio is due), the text whose audio has not fully arrived goes to
 * another worker and the frames continue with the same sequence numbering: each frame keeps its worker's own
 * `sequence_number` plus a per-call offset (the number of the last frame kept from the calls before), so a frame a
 * worker skipped or repeated shows downstream as a gap, across failovers too.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { type AudioFrame, ControlCommand } from "../../proto/gen/tts.ts";
import { type LogContext, logContext, withLogContext } from "../../shared/log/context.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { SpeechStream, TtsFrame } from "./contract.ts";
import { contextMetadata, describeError, grpcCode, isRequestError, tryControl } from "./rpc.ts";
import { FrameQueue } from "./frame_queue.ts";
import { StallWatch } from "./stall_watch.ts";
import { SynthesisCall } from "./synthesis_call.ts";
import { TextLedger } from "./text_ledger.ts";
import { type Placement, type RoutedStreamRequest, SpeechStreamError, type StreamHost } from "./stream_host.ts";

const log = getLogger("orchestrator", "routing");

/** {@linkcode SpeechStream} over one or more workers in turn. */
export class RoutedSpeechStream implements SpeechStream {
  onFailover?: (info: { from: string; to: string; fromOffset: number }) => void;
  readonly #host: StreamHost;
  readonly #request: RoutedStreamRequest;
  readonly #ledger = new TextLedger();
  readonly #queue = new FrameQueue({
    hold: () => this.#call?.pauseDelivery(),
    release: () => {
      this.#call?.resumeDelivery();
      // The worker may have gone silent while it was held back (a cut link says nothing): watch it again.
      this.#armStallWatch();
    },
  });
  readonly #avoid = new Set<string>();
  /** Sequence number of the last frame handed to the consumer. */
  #lastYielded = 0;
  /** Sequence number of the last frame queued: the current call's frames continue from it. */
  #lastQueued = 0;
  #placement: Placement | null = null;
  #call: SynthesisCall | null = null;
  #lastWorker = "";
  #failovers = 0;
  #redispatching = false;
  #pendingFrom: { worker: string; reason: string } | null = null;
  #paused = false;
  #stopped = false;
  #done = false;
  #error: Error | null = null;
  readonly #stallWatch: StallWatch;
  /** The session and request ids of the response that opened the stream; failovers (run from gRPC events) reuse them. */
  readonly #context: LogContext = logContext();

  private constructor(host: StreamHost, request: RoutedStreamRequest) {
    this.#host = host;
    this.#request = request;
    this.#stallWatch = new StallWatch(host.stallTimeoutMs);
  }

  /** Places the stream on a worker; rejects when no worker can take it. */
  static async open(host: StreamHost, request: RoutedStreamRequest): Promise<RoutedSpeechStream> {
    const stream = new RoutedSpeechStream(host, request);
    stream.#attach(await host.place(request, stream.#avoid), 0);
    return stream;
  }

  /** Worker serving the stream now (the last one once it is over). */
  get worker(): string {
    return this.#placement?.worker ?? this.#lastWorker;
  }

  /** Address of the worker serving the stream now, null while between workers or over. */
  get address(): string | null {
    return this.#done ? null : this.#placement?.address ?? null;
  }

  /** The text of the stream so far and how much of its audio arrived (for failover and tests). */
  get ledger(): TextLedger {
    return this.#ledger;
  }

  push(text: string, options?: { flush?: boolean }): void {
    if (typeof text !== "string") throw new TypeError(`SpeechStream.push needs a string, got ${typeof text}`);
    // After stop() the stream is over for good; a responder still streaming its tokens is not an error.
    if (this.#stopped || this.#done) return;
    const flush = options?.flush === true;
    if (!text && !flush) return;
    this.#ledger.push(text, flush);
    this.#call?.send(text, flush);
    this.#armStallWatch();
  }

  end(): void {
    if (this.#ledger.ended) return;
    this.#ledger.end();
    this.#call?.endInput();
    this.#armStallWatch();
  }

  async pause(): Promise<void> {
    if (this.#paused || this.#stopped || this.#done) return;
    this.#paused = true;
    this.#stallWatch.cancel();
    await this.#control(ControlCommand.CONTROL_COMMAND_PAUSE);
  }

  async resume(): Promise<void> {
    if (!this.#paused || this.#stopped || this.#done) return;
    this.#paused = false;
    if (this.#pendingFrom) {
      // The worker failed while paused: re-dispatch now that audio is wanted again.
      const from = this.#pendingFrom;
      this.#pendingFrom = null;
      await this.#redispatch(from.worker, from.reason);
      return;
    }
    await this.#control(ControlCommand.CONTROL_COMMAND_RESUME);
    this.#armStallWatch();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#queue.clear();
    const call = this.#call, placement = this.#placement;
    this.#call = null;
    this.#placement = null;
    this.#finish(null);
    if (!call || !placement) return;
    // A worker that did not confirm the STOP may still be producing: its channel is not reused.
    const stoppedByWorker = await this.#control(ControlCommand.CONTROL_COMMAND_STOP, placement);
    call.cancel();
    this.#host.unplace(placement, stoppedByWorker ? "reuse" : "discard");
  }

  /** The router learned that `address` is gone or not serving: fail over if this stream is on it. */
  workerLost(address: string, reason: string): void {
    if (this.#placement?.address === address) this.#failover(reason, true);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TtsFrame> {
    try {
      while (true) {
        const next = this.#queue.shift();
        if (next) {
          this.#lastYielded = next.seq;
          yield next;
          continue;
        }
        if (this.#done) {
          if (this.#error) throw this.#error;
          return;
        }
        await this.#queue.next();
      }
    } finally {
      // A consumer that stops iterating early no longer wants the audio.
      if (!this.#done) await this.stop();
    }
  }

  #attach(placement: Placement, fromOffset: number): void {
    this.#placement = placement;
    this.#lastWorker = placement.worker;
    const seqOffset = this.#lastQueued;
    const call: SynthesisCall = new SynthesisCall(placement.channel.client, placement.lease.id, {
      frame: (frame) => this.#call === call && this.#onFrame(frame, fromOffset, seqOffset),
      done: () => {
        if (this.#call !== call) return;
        this.#call = null;
        this.#placement = null;
        this.#host.unplace(placement, "reuse");
      },
      failed: (error) => this.#call === call && this.#onCallFailed(error),
    }, contextMetadata(this.#context));
    this.#call = call;
    for (const piece of this.#ledger.piecesFrom(fromOffset)) call.send(piece.text, piece.flush);
    if (this.#ledger.ended) call.endInput();
    this.#armStallWatch();
  }

  #onFrame(frame: AudioFrame, base: number, seqOffset: number): void {
    const length = this.#ledger.length;
    const textStart = Math.min(base + frame.textStart, length);
    const textEnd = Math.min(base + frame.textEnd, length);
    if (frame.isFinal) this.#ledger.completed();
    else this.#ledger.received(textStart, textEnd);
    const audio = frame.audio;
    const pcm = new Uint8Array(audio.buffer, audio.byteOffset, audio.byteLength);
    const seq = seqOffset + frame.sequenceNumber;
    this.#lastQueued = seq;
    this.#queue.push({ pcm, seq, textStart, textEnd, isFinal: frame.isFinal, worker: this.worker });
    if (frame.isFinal) this.#finish(null);
    this.#armStallWatch();
  }

  #onCallFailed(error: Error): void {
    if (this.#stopped || this.#done) return;
    if (isRequestError(error)) {
      const placement = this.#placement!;
      this.#call = null;
      this.#placement = null;
      this.#host.unplace(placement, "reuse");
      this.#finish(
        new SpeechStreamError(`worker ${placement.worker} rejected the speech stream: ${describeError(error)}`),
      );
      return;
    }
    // NOT_FOUND: the worker lost our session (e.g. it restarted); it may still serve a new one.
    this.#failover(`Synthesize failed: ${describeError(error)}`, grpcCode(error) !== status.NOT_FOUND);
  }

  /** Leaves the current worker and re-dispatches the text whose audio did not fully arrive (now, or on resume when paused). */
  #failover(reason: string, avoidWorker: boolean): void {
    const placement = this.#placement;
    if (!placement || this.#stopped || this.#done) return;
    this.#call?.cancel();
    this.#call = null;
    this.#placement = null;
    this.#stallWatch.cancel();
    this.#host.unplace(placement, "discard");
    if (avoidWorker) this.#avoid.add(placement.address);
    // Frames of the unfinished span that the consumer has not taken yet will be synthesized again: drop them here so
    // that only what was already handed out can repeat.
    const resumeAt = this.#ledger.resumeOffset;
    this.#queue.retain((frame) => frame.isFinal || frame.textStart < resumeAt);
    this.#lastQueued = this.#queue.lastSeq ?? this.#lastYielded;
    log.warn("worker {worker} failed mid-stream ({reason}); re-dispatching from text offset {offset}", {
      worker: placement.worker,
      reason,
      offset: resumeAt,
      session_id: this.#request.sessionId,
    });
    if (this.#paused) this.#pendingFrom = { worker: placement.worker, reason };
    else void this.#redispatch(placement.worker, reason);
  }

  #redispatch(from: string, reason: string): Promise<void> {
    return withLogContext(this.#context, () => this.#redispatchNow(from, reason));
  }

  async #redispatchNow(from: string, reason: string): Promise<void> {
    if (this.#redispatching) return;
    if (++this.#failovers > this.#host.maxFailovers) {
      this.#finish(
        new SpeechStreamError(
          `speech stream gave up after ${this.#host.maxFailovers} worker failures; last: ${reason}`,
        ),
      );
      return;
    }
    this.#redispatching = true;
    let placement: Placement;
    try {
      placement = await this.#host.place(this.#request, this.#avoid);
    } catch (error) {
      this.#finish(
        new SpeechStreamError(
          `worker ${from} failed (${reason}) and no other worker could take over: ${(error as Error).message}`,
        ),
      );
      return;
    } finally {
      this.#redispatching = false;
    }
    if (this.#stopped || this.#done) {
      this.#host.unplace(placement, "reuse");
      return;
    }
    const fromOffset = this.#ledger.resumeOffset;
    this.#attach(placement, fromOffset);
    if (this.#paused) await this.#control(ControlCommand.CONTROL_COMMAND_PAUSE);
    log.info("speech stream moved from {from} to {to} at text offset {offset}", {
      from,
      to: placement.worker,
      offset: fromOffset,
      session_id: this.#request.sessionId,
    });
    try {
      this.onFailover?.({ from, to: placement.worker, fromOffset });
    } catch (error) {
      log.error("onFailover listener failed: {error}", { error });
    }
  }

  /** Sends a Control command to the stream's worker; true when the worker carried it out. */
  #control(command: ControlCommand, placement = this.#placement): Promise<boolean> {
    if (!placement) return Promise.resolve(false);
    const { channel, lease, worker } = placement;
    return tryControl(channel.client, lease.id, command, this.#host.controlTimeoutMs, worker);
  }

  /** Watches for a worker that stops producing while audio is due (hung process, frozen host). */
  #armStallWatch(): void {
    this.#stallWatch.cancel();
    if (!this.#call || this.#paused || this.#queue.held || this.#done) return;
    const ledger = this.#ledger;
    if (ledger.flushedUpTo <= ledger.receivedUpTo && !ledger.ended) return;
    const call = this.#call, placement = this.#placement;
    const ms = this.#stallWatch.ms;
    this.#stallWatch.arm({
      // A worker behind a cut link never answers: wait no longer than the stall itself for its health check.
      alive: async () => !!placement && await placement.channel.health.check(Math.min(this.#host.controlTimeoutMs, ms)),
      current: () => this.#call === call && !this.#done,
      busy: () => {
        log.info("no audio for {ms} ms from {worker}, which answers its health check: still waiting", {
          ms,
          worker: placement?.worker,
        });
        this.#armStallWatch();
      },
      stalled: () => this.#failover(`no audio for ${ms} ms while audio was due`, true),
    });
  }

  #finish(error: Error | null): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#stallWatch.cancel();
    if (error) {
      log.warn("speech stream of session {session_id} ended: {error}", {
        session_id: this.#request.sessionId,
        error: error.message,
      });
    }
    this.#host.closed(this);
    this.#queue.notify();
  }
}
