/**
 * One agent response: responder text → sentences → speech stream on a worker → frames into the session's pacer.
 * Sentences go to the worker as soon as they complete; frames go to the pacer as they arrive, with backpressure so
 * a fast worker never fills memory: audio already handed to the pacer keeps playing while a failover finds another
 * worker. It can be held (barge-in), resumed, or stopped, and knows which text was heard.
 *
 * @module
 */
import { SentenceBuffer } from "../../shared/text/mod.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { ConversationMessage, Responder } from "../responder/contract.ts";
import type { SpeechStream, SpeechStreamOptions, TtsFrame, TtsRouter } from "../routing/contract.ts";
import { HIGH_WATER_FRAMES } from "../routing/frame_queue.ts";
import type { Clock } from "./clock.ts";
import { HeardTextTracker } from "./heard_text.ts";
import type { FramePacer } from "./pacer.ts";
import type { TurnTiming } from "./turn_timing.ts";

const log = getLogger("orchestrator", "response");

/** A frame in the session's pacer, tagged with the response it belongs to. */
export interface PacedFrame {
  frame: TtsFrame;
  owner: AgentResponse;
}

/** What a response reports about itself, in order of occurrence. */
export interface ResponseListener {
  onFirstText(response: AgentResponse, atMs: number): void;
  /** A sentence went to the worker; offsets are into {@linkcode AgentResponse.pushedText}. */
  onSentence(response: AgentResponse, text: string, textStart: number, textEnd: number): void;
  onFirstAudioReceived(response: AgentResponse, atMs: number): void;
  onFirstFrameSent(response: AgentResponse, atMs: number): void;
  /** Every frame was sent. */
  onDone(response: AgentResponse): void;
  /** The responder or the TTS failed; the response is over. */
  onFailed(response: AgentResponse, kind: "responder" | "tts", error: Error): void;
}

/** Inputs of one response. */
export interface AgentResponseOptions {
  id: string;
  /** The user text this response answers. */
  input: string;
  /** The turn's timestamps; the response fills in its own. */
  timing: TurnTiming;
  responder: Responder;
  history: readonly ConversationMessage[];
  language?: string;
  router: TtsRouter;
  stream: SpeechStreamOptions;
  pacer: FramePacer<PacedFrame>;
  clock: Clock;
  listener: ResponseListener;
  /** Frames allowed to wait in the pacer before the worker stream is no longer read (default 250 = 5 s). */
  maxQueuedFrames?: number;
}

/** A response in progress. */
export class AgentResponse {
  readonly id: string;
  readonly input: string;
  readonly timing: TurnTiming;
  #options: AgentResponseOptions;
  #abort = new AbortController();
  #stream: SpeechStream | null = null;
  #pushed = "";
  #heard = new HeardTextTracker();
  #enqueued = 0;
  #sent = 0;
  #audioComplete = false;
  #finished = false;
  #lastSeq = 0;
  /** Frames out of sequence (gaps or repeats) as received from the router; 0 when the audio is intact. */
  seqGaps = 0;

  constructor(options: AgentResponseOptions) {
    this.id = options.id;
    this.input = options.input;
    this.timing = options.timing;
    this.#options = options;
  }

  /** Everything pushed to the worker so far (offsets of frames and sentences refer to it). */
  get pushedText(): string {
    return this.#pushed;
  }

  /** Name of the worker serving this response's audio now (undefined before the stream is open). */
  get worker(): string | undefined {
    return this.#stream?.worker;
  }

  /** Frames sent to the client. */
  get framesSent(): number {
    return this.#sent;
  }

  /** The text whose audio was sent. */
  heardText(): string {
    return this.#heard.heardText(this.#pushed);
  }

  /** Runs the response; settles when the worker stream has ended or the response stopped. */
  async run(): Promise<void> {
    const streamPromise = this.#options.router.openStream(this.#options.stream);
    streamPromise.catch(() => {/* reported below */});
    const text = this.#produceText(streamPromise);
    try {
      const stream = await streamPromise;
      this.#stream = stream;
      if (this.#finished) {
        await stream.stop().catch(() => {});
        return;
      }
      await Promise.all([text, this.#consumeAudio(stream)]);
    } catch (error) {
      this.#fail("tts", error as Error);
      await text.catch(() => {});
    }
  }

  /** Pauses the worker stream (the session holds the pacer). */
  async hold(): Promise<void> {
    await this.#stream?.pause().catch((error) => log.warn("pause failed: {error}", { error }));
  }

  /** Resumes the worker stream from its next unsent frame. */
  async resume(): Promise<void> {
    await this.#stream?.resume().catch((error) => log.warn("resume failed: {error}", { error }));
  }

  /** Ends the response now (responder cancelled, worker stream stopped); the session clears the pacer. */
  stop(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#abort.abort();
    this.#stream?.stop().catch((error) => log.debug("stop failed: {error}", { error }));
  }

  /** Called by the session's pacer for each frame of this response that left. */
  frameSent(frame: TtsFrame, atMs: number): void {
    this.#heard.sent(frame.textStart, frame.textEnd);
    this.#sent++;
    if (this.#sent === 1) {
      this.timing.firstFrameSentAt = atMs;
      this.#options.listener.onFirstFrameSent(this, atMs);
    }
    this.#checkDone();
  }

  async #produceText(streamPromise: Promise<SpeechStream>): Promise<void> {
    const { responder, history, language, listener, clock } = this.#options;
    const sentences = new SentenceBuffer();
    const pending: string[] = [];
    let stream: SpeechStream | null = null;
    streamPromise.then((s) => {
      stream = s;
      for (const text of pending.splice(0)) this.#push(s, text);
    }, () => {});
    const send = (text: string) => {
      if (stream) this.#push(stream, text);
      else pending.push(text);
    };
    try {
      for await (const delta of responder.respond({ history, language, signal: this.#abort.signal })) {
        if (this.#finished) return;
        if (!delta) continue;
        if (this.timing.firstTextAt === undefined) {
          this.timing.firstTextAt = clock.now();
          listener.onFirstText(this, this.timing.firstTextAt);
        }
        for (const span of sentences.push(delta)) send(span.text);
      }
      const tail = sentences.flush();
      if (tail) send(tail.text);
    } catch (error) {
      if (!this.#finished) this.#fail("responder", error as Error);
      return;
    }
    const s = await streamPromise;
    if (!this.#finished) s.end();
  }

  #push(stream: SpeechStream, sentence: string): void {
    const text = sentence.trim();
    if (!text || this.#finished) return;
    const start = this.#pushed.length;
    this.#pushed += `${text} `;
    this.timing.ttsTextPushedAt ??= this.#options.clock.now();
    stream.push(`${text} `, { flush: true });
    this.#options.listener.onSentence(this, text, start, start + text.length);
  }

  async #consumeAudio(stream: SpeechStream): Promise<void> {
    const { pacer, listener, clock } = this.#options;
    let first = true;
    for await (const frame of stream) {
      if (this.#finished) break;
      if (frame.seq !== this.#lastSeq + 1) this.seqGaps++;
      this.#lastSeq = frame.seq;
      if (first) {
        first = false;
        this.timing.firstAudioReceivedAt = clock.now();
        listener.onFirstAudioReceived(this, this.timing.firstAudioReceivedAt);
      }
      if (frame.pcm.byteLength > 0) {
        this.#heard.received(frame.textStart, frame.textEnd);
        await pacer.waitForSpace(this.#options.maxQueuedFrames ?? HIGH_WATER_FRAMES);
        if (this.#finished) break;
        this.#enqueued++;
        pacer.enqueue({ frame, owner: this });
      }
      if (frame.isFinal) break;
    }
    this.#heard.markComplete();
    this.#audioComplete = true;
    this.#checkDone();
  }

  #checkDone(): void {
    if (this.#finished || !this.#audioComplete || this.#sent < this.#enqueued) return;
    this.#finished = true;
    this.#options.listener.onDone(this);
  }

  #fail(kind: "responder" | "tts", error: Error): void {
    if (this.#finished) return;
    this.stop();
    this.#options.listener.onFailed(this, kind, error);
  }
}
