/**
 * A fake TTS router for unit tests of the session logic: one frame per character pushed, each carrying its sequence
 * number in its first 4 bytes, so tests can check that audio is neither repeated nor lost.
 *
 * @module
 */
import type {
  ModelResolution,
  SpeechStream,
  SpeechStreamOptions,
  TtsFrame,
  TtsRouter,
} from "../../../orchestrator/routing/contract.ts";

/** Frames per character of text the fake TTS speaks. */
export const FRAMES_PER_CHAR = 1;

/**
 * A speech stream that makes one frame per character pushed, each carrying its seq in its first 4 bytes and the span
 * of the pushed piece it belongs to (as a worker marks the sentence it speaks).
 */
export class FakeSpeechStream implements SpeechStream {
  readonly worker = "fake-worker";
  pushed = "";
  pieces: Array<{ start: number; end: number }> = [];
  paused = false;
  stopped = false;
  pauses = 0;
  resumes = 0;
  /** Sequence numbers this "worker" skips (as a lost frame would): frames keep coming, their numbers jump. */
  skipNumbers = new Set<number>();
  #produced = 0;
  #numbered = 0;
  #ended = false;
  #wake: (() => void) | null = null;

  push(text: string): void {
    this.pieces.push({ start: this.pushed.length, end: this.pushed.length + text.length });
    this.pushed += text;
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  pause(): Promise<void> {
    this.paused = true;
    this.pauses++;
    return Promise.resolve();
  }

  resume(): Promise<void> {
    this.paused = false;
    this.resumes++;
    this.#wake?.();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.#wake?.();
    return Promise.resolve();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TtsFrame> {
    for (;;) {
      if (this.stopped) return;
      if (!this.paused && this.#produced < this.pushed.length * FRAMES_PER_CHAR) {
        const produced = ++this.#produced;
        const charIndex = Math.floor((produced - 1) / FRAMES_PER_CHAR);
        const piece = this.pieces.find((p) => charIndex >= p.start && charIndex < p.end)!;
        const pcm = new Uint8Array(1920);
        new DataView(pcm.buffer).setUint32(0, produced, true);
        const seq = this.#nextNumber();
        yield { pcm, seq, textStart: piece.start, textEnd: piece.end, isFinal: false, worker: this.worker };
        continue;
      }
      if (this.#ended && !this.paused && this.#produced >= this.pushed.length * FRAMES_PER_CHAR) {
        yield {
          pcm: new Uint8Array(0),
          seq: this.#nextNumber(),
          textStart: this.pushed.length,
          textEnd: this.pushed.length,
          isFinal: true,
          worker: this.worker,
        };
        return;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
  }

  #nextNumber(): number {
    this.#numbered++;
    while (this.skipNumbers.has(this.#numbered)) this.#numbered++;
    return this.#numbered;
  }
}

/** A router handing out {@linkcode FakeSpeechStream}s. */
export class FakeTtsRouter implements TtsRouter {
  streams: FakeSpeechStream[] = [];
  opened: SpeechStreamOptions[] = [];

  openStream(options: SpeechStreamOptions): Promise<SpeechStream> {
    const stream = new FakeSpeechStream();
    this.streams.push(stream);
    this.opened.push(options);
    return Promise.resolve(stream);
  }

  endedSessions: string[] = [];

  endSession(sessionId: string): Promise<void> {
    this.endedSessions.push(sessionId);
    return Promise.resolve();
  }

  /** What `busy()` answers: set it to make the fake's workers all full. */
  busyReason: string | null = null;

  busy(): string | null {
    return this.busyReason;
  }

  /** What `resolveModel()` answers for a model: set it to make the fake's workers serve a stand-in. */
  resolution: ((modelId: string) => ModelResolution) | null = null;

  resolveModel(modelId = ""): ModelResolution {
    return this.resolution?.(modelId) ?? { model: modelId };
  }

  workers() {
    return [{
      name: "fake-worker",
      address: "fake",
      healthy: true,
      activeSessions: this.streams.length,
      queueDepth: 0,
    }];
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The seq a fake frame carries. */
export function seqOf(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset).getUint32(0, true);
}
