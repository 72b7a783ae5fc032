/**
 * The worker sessions this orchestrator holds. Each orchestrator session gets one worker session per worker it
 * uses (StartSession once), reused by its successive speech streams. A worker session runs one Synthesize at a
 * time, so a stream that overlaps another of the same session (e.g. a new answer while the old one is stopping)
 * gets a second worker session instead of waiting.
 *
 * No path may leave a worker session behind: a StartSession still in flight when its orchestrator session ends is
 * ended as soon as it completes; a stream that gives back a lease the pool no longer knows ends it on the worker; a
 * session that already ended cannot acquire again (tombstone). Held sessions are renewed on their worker
 * (RenewSessions) every third of the worker's lease, so a crashed orchestrator's sessions expire on the worker.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { SessionOptions } from "../../proto/gen/tts.ts";
import type { SynthesisOptions } from "../../shared/tts/mod.ts";
import { fnv1a } from "./policies/affinity.ts";
import { endSession, grpcCode, renewSessions, startSession } from "./rpc.ts";
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
  /** Set when the orchestrator session ended while StartSession was in flight. */
  cancelled: boolean;
}

/** The orchestrator session ended while a stream was being placed: nothing to fail over to. */
export class SessionEndedError extends Error {
  override name = "SessionEndedError";
}

/** Lease assumed until a worker states its own (StartSessionResponse.lease_ms). */
const DEFAULT_LEASE_MS = 60_000;
/** Ended session ids remembered, so a late stream of an ended session cannot start a worker session. */
const TOMBSTONE_LIMIT = 10_000;

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
  /** Ended orchestrator sessions, oldest first. */
  readonly #ended = new Set<string>();
  #leaseMs = DEFAULT_LEASE_MS;
  #renewTimer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly startTimeoutMs: number, readonly endTimeoutMs = 2000) {}

  /** A free worker session for this request on this worker, started there if needed. */
  async acquire(channel: WorkerChannel, request: WorkerSessionRequest): Promise<WorkerSessionLease> {
    if (this.#ended.has(request.sessionId)) {
      throw new SessionEndedError(`session ${request.sessionId} has ended; no new speech stream starts for it`);
    }
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
    const entry: Entry = {
      id,
      address: channel.address,
      sessionId: request.sessionId,
      configKey,
      busy: true,
      channel,
      cancelled: false,
    };
    this.#entries.set(`${channel.address} ${id}`, entry);
    this.#startRenewing();
    try {
      const started = await startSession(
        channel.client,
        { sessionId: id, modelId: request.modelId, options: toSessionOptions(request.options) },
        this.startTimeoutMs,
      );
      if (started.leaseMs > 0) this.#leaseMs = Math.min(this.#leaseMs, started.leaseMs);
    } catch (error) {
      // ALREADY_EXISTS: an earlier StartSession of ours got through although its answer was lost. It is ours.
      if (grpcCode(error) !== status.ALREADY_EXISTS) {
        if (entry.cancelled) throw new SessionEndedError(`session ${request.sessionId} ended while starting`);
        this.#entries.delete(`${channel.address} ${id}`);
        throw error;
      }
    }
    if (entry.cancelled) {
      // The orchestrator session ended while StartSession was in flight: its EndSession raced ahead of the start.
      void endSession(channel.client, id, this.endTimeoutMs);
      throw new SessionEndedError(`session ${request.sessionId} ended while its worker session was starting`);
    }
    return entry;
  }

  /**
   * The stream is done with the worker session; the next stream of the session reuses it. A lease the pool no longer
   * holds (its session ended meanwhile) is ended on the worker here, never dropped silently.
   */
  release(lease: WorkerSessionLease, channel?: WorkerChannel): void {
    const entry = this.#entries.get(`${lease.address} ${lease.id}`);
    if (entry) entry.busy = false;
    else if (channel) void endSession(channel.client, lease.id, this.endTimeoutMs);
  }

  /** The worker session is gone (worker died or forgot it): never reuse it. */
  discard(lease: WorkerSessionLease): void {
    this.#entries.delete(`${lease.address} ${lease.id}`);
  }

  /** Forgets every session on a worker that is gone. */
  forgetWorker(address: string): void {
    for (const [key, entry] of this.#entries) if (entry.address === address) this.#entries.delete(key);
    this.#stopRenewingWhenIdle();
  }

  /**
   * Ends every worker session of an orchestrator session (on every worker), including those still starting (they
   * end when their StartSession returns), and refuses new ones for it.
   */
  async endSession(sessionId: string): Promise<void> {
    this.#ended.add(sessionId);
    if (this.#ended.size > TOMBSTONE_LIMIT) this.#ended.delete(this.#ended.values().next().value!);
    const ending = [...this.#entries].filter(([, entry]) => entry.sessionId === sessionId);
    for (const [key, entry] of ending) {
      entry.cancelled = true;
      this.#entries.delete(key);
    }
    this.#stopRenewingWhenIdle();
    await Promise.all(ending.map(([, entry]) => endSession(entry.channel.client, entry.id, this.endTimeoutMs)));
  }

  /** Renews every held worker session now (one RenewSessions per worker); forgets those the worker no longer has. */
  async renewAll(): Promise<void> {
    const byAddress = new Map<string, Entry[]>();
    for (const entry of this.#entries.values()) {
      const list = byAddress.get(entry.address) ?? [];
      list.push(entry);
      byAddress.set(entry.address, list);
    }
    await Promise.all([...byAddress.values()].map(async (entries) => {
      const unknown = await renewSessions(entries[0].channel.client, entries.map((e) => e.id), this.endTimeoutMs);
      for (const entry of entries) {
        // A session still starting is not on the worker yet; anything else the worker forgot is gone for good.
        if (unknown.has(entry.id) && !entry.busy) this.#entries.delete(`${entry.address} ${entry.id}`);
      }
    }));
    this.#stopRenewingWhenIdle();
  }

  #startRenewing(): void {
    if (this.#renewTimer !== undefined) return;
    this.#renewTimer = setInterval(() => void this.renewAll(), Math.max(250, Math.floor(this.#leaseMs / 3)));
  }

  #stopRenewingWhenIdle(): void {
    if (this.#entries.size > 0 || this.#renewTimer === undefined) return;
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  /** Ends every worker session (router shutdown). */
  async endAll(): Promise<void> {
    const sessions = new Set([...this.#entries.values()].map((entry) => entry.sessionId));
    await Promise.all([...sessions].map((sessionId) => this.endSession(sessionId)));
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
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
