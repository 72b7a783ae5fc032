/**
 * The sessions of one worker, keyed by client-chosen id, with the session cap.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { Session } from "./session.ts";
import { RpcError } from "./rpc_error.ts";

const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Throws INVALID_ARGUMENT unless `id` is 1..128 chars of [A-Za-z0-9._:-]; `where` names the field for the message. */
export function validateSessionId(id: string, where: string): void {
  if (!id) throw new RpcError(status.INVALID_ARGUMENT, `${where}: session_id is required`);
  if (!SESSION_ID_PATTERN.test(id)) {
    const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
    throw new RpcError(
      status.INVALID_ARGUMENT,
      `${where}: session_id "${shown}" is invalid (use 1..128 characters of A-Z a-z 0-9 . _ : -)`,
    );
  }
}

/** Open sessions plus slots reserved by StartSession calls that are still loading their model. */
export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  readonly #reserved = new Set<string>();

  constructor(readonly maxSessions: number) {}

  /** Open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Every open session. */
  all(): Session[] {
    return [...this.#sessions.values()];
  }

  /**
   * Claims the id and a slot before the (possibly slow) model load, so two StartSession calls cannot both pass the
   * cap or take the same id. Returns the function that gives the claim back.
   */
  reserve(id: string): () => void {
    if (this.#sessions.has(id) || this.#reserved.has(id)) {
      throw new RpcError(status.ALREADY_EXISTS, `session "${id}" already exists`);
    }
    if (this.#sessions.size + this.#reserved.size >= this.maxSessions) {
      throw new RpcError(
        status.RESOURCE_EXHAUSTED,
        `worker is at its session limit (WORKER_MAX_SESSIONS=${this.maxSessions}); end a session or use another worker`,
      );
    }
    this.#reserved.add(id);
    return () => this.#reserved.delete(id);
  }

  /** Adds a session whose id was reserved. */
  add(session: Session): void {
    this.#reserved.delete(session.id);
    this.#sessions.set(session.id, session);
  }

  /** The session with this id, or NOT_FOUND. */
  get(id: string): Session {
    const session = this.#sessions.get(id);
    if (!session) throw new RpcError(status.NOT_FOUND, `session "${id}" not found (start it with StartSession)`);
    return session;
  }

  /** The session with this id, if open. */
  find(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Removes a session (after it ended). */
  remove(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    this.#sessions.delete(id);
    return session;
  }

  /** Removes and returns the sessions whose lease ran out (see {@linkcode Session.leaseExpired}). */
  takeExpired(leaseMs: number, now: number = performance.now()): Session[] {
    const expired = this.all().filter((session) => session.leaseExpired(leaseMs, now));
    for (const session of expired) this.#sessions.delete(session.id);
    return expired;
  }

  /** Sessions holding a model. */
  holdersOf(modelId: string): Session[] {
    return this.all().filter((s) => s.modelId === modelId);
  }
}
