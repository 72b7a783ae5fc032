/**
 * The worker sessions this orchestrator holds. Each orchestrator session gets one worker session per worker it
 * uses (StartSession once), reused by its successive speech streams. A worker session runs one Synthesize at a
 * time, so a stream that overlaps another of the same session (e.g. a new answer while the old one is stopping)
 * gets a second worker session instead of waiting.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { SessionOptions } from "../../proto/gen/tts.ts";
import type { SynthesisOptions } from "../../shared/tts/mod.ts";
import { fnv1a } from "./policies/affinity.ts";
import { endSession, grpcCode, startSession } from "./rpc.ts";
import type { WorkerChannel } from "./worker_channels.ts";

/** A worker session held by one speech stream. */
export interface WorkerSessionLease {
  /** The id on the worker. */
  readonly id: string;
  readonly address: string;
  readonly sessionId: string;
}

interface Entry extends WorkerSessionLease {
  configKey: string;
  busy: boolean;
  channel: WorkerChannel;
}

/** What a stream asks a worker session for. */
export interface WorkerSessionRequest {
  sessionId: string;
  modelId: string;
  options?: SynthesisOptions;
}

/** Worker session pool of the router. */
export class WorkerSessions {
  readonly #entries = new Map<string, Entry>(); // key: address + " " + id

  /** Distinguishes this orchestrator's worker sessions from another orchestrator's with the same session id. */
  readonly #instanceTag = crypto.randomUUID().slice(0, 8);

  constructor(readonly startTimeoutMs: number, readonly endTimeoutMs = 2000) {}

  /** A free worker session for this request on this worker, started there if needed. */
  async acquire(channel: WorkerChannel, request: WorkerSessionRequest): Promise<WorkerSessionLease> {
    const configKey = JSON.stringify([request.modelId, request.options ?? {}]);
    for (const entry of this.#entries.values()) {
      if (
        entry.address === channel.address && entry.sessionId === request.sessionId && entry.configKey === configKey &&
        !entry.busy
      ) {
        entry.busy = true;
        return entry;
      }
    }
    const base = `${safeId(request.sessionId)}.${this.#instanceTag}.${fnv1a(configKey).toString(36)}`;
    let id = base;
    for (let n = 2; this.#entries.has(`${channel.address} ${id}`); n++) id = `${base}.${n}`;
    const entry: Entry = { id, address: channel.address, sessionId: request.sessionId, configKey, busy: true, channel };
    this.#entries.set(`${channel.address} ${id}`, entry);
    try {
      await startSession(
        channel.client,
        { sessionId: id, modelId: request.modelId, options: toSessionOptions(request.options) },
        this.startTimeoutMs,
      );
    } catch (error) {
      // ALREADY_EXISTS: an earlier StartSession of ours got through although its answer was lost. It is ours.
      if (grpcCode(error) !== status.ALREADY_EXISTS) {
        this.#entries.delete(`${channel.address} ${id}`);
        throw error;
      }
    }
    return entry;
  }

  /** The stream is done with the worker session; the next stream of the session reuses it. */
  release(lease: WorkerSessionLease): void {
    const entry = this.#entries.get(`${lease.address} ${lease.id}`);
    if (entry) entry.busy = false;
  }

  /** The worker session is gone (worker died or forgot it): never reuse it. */
  discard(lease: WorkerSessionLease): void {
    this.#entries.delete(`${lease.address} ${lease.id}`);
  }

  /** Forgets every session on a worker that is gone. */
  forgetWorker(address: string): void {
    for (const [key, entry] of this.#entries) if (entry.address === address) this.#entries.delete(key);
  }

  /** Ends every worker session of an orchestrator session (on every worker). */
  async endSession(sessionId: string): Promise<void> {
    const ending = [...this.#entries].filter(([, entry]) => entry.sessionId === sessionId);
    for (const [key] of ending) this.#entries.delete(key);
    await Promise.all(ending.map(([, entry]) => endSession(entry.channel.client, entry.id, this.endTimeoutMs)));
  }

  /** Ends every worker session (router shutdown). */
  async endAll(): Promise<void> {
    const sessions = new Set([...this.#entries.values()].map((entry) => entry.sessionId));
    await Promise.all([...sessions].map((sessionId) => this.endSession(sessionId)));
  }

  /** Worker sessions held now (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }
}

/** Worker session ids allow 1..128 chars of [A-Za-z0-9._:-]; orchestrator ids may contain anything. */
function safeId(sessionId: string): string {
  const cleaned = sessionId.replace(/[^A-Za-z0-9._:-]/g, "_").slice(0, 96);
  return cleaned || "session";
}

function toSessionOptions(options: SynthesisOptions | undefined): SessionOptions {
  return {
    speed: options?.speed,
    speakerId: options?.speakerId,
    noiseScale: options?.noiseScale,
    noiseW: options?.noiseW,
    language: options?.language ?? "",
  };
}
