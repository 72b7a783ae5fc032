/**
 * The main-thread side of the Whisper worker: a fair queue of jobs per session ({@linkcode FairAsrQueue}: finals
 * before partials, sessions served by least engine time used, a bounded backlog per session), one job in the worker
 * at a time (so a final never waits behind queued partials), and cancellation of queued or running jobs.
 *
 * @module
 */
import { type AsrJobClass, DEFAULT_MAX_QUEUED_PER_OWNER, FairAsrQueue } from "../fair_queue.ts";
import type { WhisperModelFiles } from "./model_info.ts";
import type { TranscriptionResult } from "./transcriber.ts";
import type { LoadedModelSummary, RunOptions, WorkerReply, WorkerRequest } from "./worker_protocol.ts";

/** Finals are served before partials. */
export type JobPriority = AsrJobClass;

/** Jobs submitted without a session share this lane (benches, one-shot `transcribe`). */
export const UNOWNED_LANE = "";

/** A submitted job. */
export interface Job {
  result: Promise<TranscriptionResult>;
  /** Drops the job if queued; asks the worker to stop if running (it resolves with `cancelled: true`). */
  cancel(): void;
}

interface QueuedJob {
  id: number;
  samples: Float32Array;
  options: RunOptions;
  priority: JobPriority;
  owner: string;
  startedMs?: number;
  resolve: (r: TranscriptionResult) => void;
  reject: (e: Error) => void;
}

/** The worker died or was disposed; pending jobs fail with this. */
export class WhisperWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhisperWorkerError";
  }
}

/** Owns one inference worker with a loaded model. */
export class WhisperWorkerClient {
  private readonly queue: FairAsrQueue<QueuedJob>;
  private running: QueuedJob | undefined;
  private nextId = 1;
  private closed = false;
  private onDisposed: (() => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly model: LoadedModelSummary,
    private readonly cancelSlot: Int32Array,
    maxQueuedPerSession: number,
  ) {
    this.queue = new FairAsrQueue(maxQueuedPerSession);
    worker.onmessage = (event: MessageEvent<WorkerReply>) => this.onReply(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.fail(new WhisperWorkerError(`Whisper worker crashed: ${event.message}`));
    };
  }

  /** Starts a worker and loads the model in it; rejects with the load error (and stops the worker). */
  static start(
    files: WhisperModelFiles,
    device: "cpu" | "cuda",
    threads: number,
    options: { maxQueuedPerSession?: number; strict?: boolean } = {},
  ): Promise<WhisperWorkerClient> {
    const { maxQueuedPerSession = DEFAULT_MAX_QUEUED_PER_OWNER, strict = false } = options;
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    const cancelSlot = new Int32Array(new SharedArrayBuffer(4));
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const reply = event.data;
        if (reply.type === "loaded") {
          resolve(new WhisperWorkerClient(worker, reply.model, cancelSlot, maxQueuedPerSession));
        } else if (reply.type === "failed") {
          worker.terminate();
          const error = new Error(reply.message);
          error.name = reply.name;
          reject(error);
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        worker.terminate();
        reject(new WhisperWorkerError(`Whisper worker failed to start: ${event.message}`));
      };
      worker.postMessage({ type: "load", files, device, threads, strict, cancelSlot } satisfies WorkerRequest);
    });
  }

  /**
   * Queues a transcription of `samples` (the array is transferred to the worker: pass a copy you no longer need) in
   * the lane of `session`. Partials the session's bounded backlog drops resolve as cancelled.
   */
  submit(samples: Float32Array, options: RunOptions, priority: JobPriority, session = UNOWNED_LANE): Job {
    const id = this.nextId++;
    let job!: QueuedJob;
    const result = new Promise<TranscriptionResult>((resolve, reject) => {
      job = { id, samples, options, priority, owner: session, resolve, reject };
    });
    if (this.closed) {
      job.reject(new WhisperWorkerError("the Whisper engine is disposed"));
      return { result, cancel: () => {} };
    }
    // Finals go after earlier finals but before every partial, and stop a partial that is running (of any
    // utterance: its owner ignores a cancelled result and asks again on its next tick).
    for (const dropped of this.queue.add(session, priority, job)) {
      dropped.resolve(cancelledResult(dropped.samples.length));
    }
    if (priority === "final" && this.running?.priority === "partial") {
      Atomics.store(this.cancelSlot, 0, this.running.id);
    }
    this.pump();
    return { result, cancel: () => this.cancel(id) };
  }

  /** Releases the model and stops the worker; pending jobs fail. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.clear()) job.reject(new WhisperWorkerError("the Whisper engine is disposed"));
    if (this.running) Atomics.store(this.cancelSlot, 0, this.running.id);
    const disposed = new Promise<void>((resolve) => (this.onDisposed = resolve));
    this.worker.postMessage({ type: "dispose" } satisfies WorkerRequest);
    await Promise.race([disposed, new Promise((r) => setTimeout(r, 10_000))]);
    this.worker.terminate();
    this.fail(new WhisperWorkerError("the Whisper engine is disposed"));
  }

  private cancel(id: number): void {
    const queued = this.queue.remove((q) => q.id === id);
    if (queued) {
      queued.resolve(cancelledResult(queued.samples.length));
    } else if (this.running?.id === id) {
      Atomics.store(this.cancelSlot, 0, id); // seen by the worker between decoder steps
    }
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.next()?.item;
    if (!job) return;
    job.startedMs = performance.now();
    this.running = job;
    const request: WorkerRequest = { type: "run", id: job.id, samples: job.samples, options: job.options };
    this.worker.postMessage(request, [job.samples.buffer as ArrayBuffer]);
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === "disposed") {
      this.onDisposed?.();
      return;
    }
    if (reply.type === "loaded") return;
    const job = this.running;
    if (!job || (reply.id !== undefined && reply.id !== job.id)) return;
    this.running = undefined;
    this.queue.charge(job.owner, performance.now() - (job.startedMs ?? performance.now()));
    if (reply.type === "result") job.resolve(reply.result);
    else {
      const error = new Error(reply.message);
      error.name = reply.name;
      job.reject(error);
    }
    this.pump();
  }

  private fail(error: Error): void {
    this.closed = true;
    const jobs = [...this.queue.clear(), ...(this.running ? [this.running] : [])];
    this.running = undefined;
    for (const job of jobs) job.reject(error);
  }
}

function cancelledResult(samples: number): TranscriptionResult {
  return {
    text: "",
    language: "",
    confidence: 0,
    noSpeechProb: 0,
    audioSeconds: samples / 16_000,
    tokens: [],
    cancelled: true,
    timings: { melMs: 0, encoderMs: 0, decoderMs: 0, decoderCalls: 0 },
    windows: [],
  };
}
