/**
 * A worker's presence in the Redis registry: registers at start, rewrites its record with a TTL on every heartbeat,
 * deregisters on stop. A worker whose process dies simply stops heartbeating and its record expires.
 *
 * Redis being down at start, going away, or restarting empty never throws out of here: writes fail fast while the
 * connection is down, the connection retries with backoff, and the first write after it is back re-creates the
 * record (announced as a join). Each up/down transition is logged once.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import type { Redis } from "ioredis";
import { getLogger } from "../log/mod.ts";
import { closeRegistryConnection, openRegistryConnection, waitForFirstVerdict } from "./connection.ts";
import { registryKey, signedRecordJson } from "./record_signature.ts";
import {
  DEFAULT_KEY_PREFIX,
  type RegistryAnnouncement,
  type RegistryKeys,
  registryKeys,
  type WorkerRecord,
  workerRecordSchema,
} from "./worker_record.ts";

/** Options of a {@linkcode WorkerRegistration}. */
export interface WorkerRegistrationOptions {
  /** `redis://[:password@]host:port[/db]` (`REDIS_URL`). */
  redisUrl: string;
  /** Heartbeat period (`WORKER_HEARTBEAT_MS`), default 2000. */
  heartbeatMs?: number;
  /** Record lifetime without a heartbeat, default 3 × heartbeat. */
  ttlMs?: number;
  /** Current state of the worker; called on every heartbeat (`heartbeatAt` is filled in here). */
  snapshot: () => WorkerRecord;
  /** Key prefix, default `tts:`. */
  keyPrefix?: string;
  /** `WORKER_RPC_SECRET`: records are signed with a key derived from it (see `record_signature.ts`). */
  signingSecret?: string;
}

// Writes the record, keeps the index, and announces a join when the record did not exist (first start, expiry after
// a stall, or a Redis restart), all in one atomic step so a reader never sees a half-registered worker.
const HEARTBEAT_SCRIPT = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if existed == 0 then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
elseif ARGV[6] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[6])
end
return existed`;

const DEREGISTER_SCRIPT = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/** Heartbeats after which a client that is still not ready is replaced by a fresh one. */
const STUCK_BEATS = 3;

/** Keeps one worker registered in Redis while it runs. */
export class WorkerRegistration {
  readonly heartbeatMs: number;
  readonly ttlMs: number;
  readonly #options: WorkerRegistrationOptions;
  readonly #signingKey: Buffer | null;
  readonly #keys: RegistryKeys;
  readonly #log = getLogger("registry", "registration");
  #redis: Redis | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<boolean> | null = null;
  #writeAgain: "" | "update" | "plain" = "";
  #stopped = false;
  #registered = false;
  #everRegistered = false;
  #lastProblem = "";
  #name = "";
  /** When the current client was created or last seen ready (a client not ready for long is replaced). */
  #aliveAt = 0;

  constructor(options: WorkerRegistrationOptions) {
    this.#signingKey = options.signingSecret ? registryKey(options.signingSecret) : null;
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.ttlMs = options.ttlMs ?? 3 * this.heartbeatMs;
    if (!Number.isFinite(this.heartbeatMs) || this.heartbeatMs < 10) {
      throw new RangeError(`heartbeatMs must be a number >= 10, got ${options.heartbeatMs}`);
    }
    if (!Number.isFinite(this.ttlMs) || this.ttlMs <= this.heartbeatMs) {
      throw new RangeError(`ttlMs must be greater than heartbeatMs (${this.heartbeatMs}), got ${options.ttlMs}`);
    }
    this.#options = options;
    this.#keys = registryKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  }

  /** True while the last heartbeat write succeeded. */
  get registered(): boolean {
    return this.#registered;
  }

  /**
   * Connects and registers at once, then heartbeats. Resolves after the first write attempt with whether it
   * succeeded; never rejects (when Redis is down the registration happens as soon as it is reachable).
   */
  start(): Promise<boolean> {
    if (this.#redis || this.#stopped) return Promise.resolve(this.#registered);
    this.#redis = this.#connect();
    this.#schedule();
    return this.#firstAttempt(this.#redis);
  }

  #connect(): Redis {
    this.#aliveAt = performance.now();
    const redis: Redis = openRegistryConnection({
      redisUrl: this.#options.redisUrl,
      logger: this.#log,
      role: "worker registration",
      // A partition says nothing (no reset): a heartbeat that gets no answer within a beat means a dead link, and
      // reconnect attempts every fraction of a beat let the worker rejoin about one beat after the link heals.
      commandTimeoutMs: this.heartbeatMs,
      connectTimeoutMs: Math.min(2000, this.heartbeatMs),
      maxBackoffMs: Math.min(2000, Math.max(50, this.heartbeatMs / 4)),
      // Re-register the moment the connection is back instead of waiting for the next tick. A replaced client's late
      // events say nothing about the current one.
      onReady: () => {
        if (this.#redis !== redis) return;
        this.#aliveAt = performance.now();
        void this.#write("plain");
      },
      onDown: () => {
        if (this.#redis === redis) this.#registered = false;
      },
    });
    return redis;
  }

  async #firstAttempt(redis: Redis): Promise<boolean> {
    await waitForFirstVerdict(redis);
    // The ready handler has already started a write; wait for it rather than writing twice.
    return this.#writing ?? this.#write("plain");
  }

  /** Writes the record now (e.g. after load changed) and announces an update; resolves with success. */
  refreshNow(): Promise<boolean> {
    return this.#write("update");
  }

  /** Stops heartbeating, deletes the record, announces the leave and closes the connection. Never rejects. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    const redis = this.#redis;
    if (!redis) return;
    await this.#writing?.catch(() => {});
    if (this.#name && redis.status !== "ready") {
      this.#log.warn(`Redis unreachable at stop: the record of ${this.#name} expires within ${this.ttlMs} ms`);
    } else if (this.#name) {
      const leave: RegistryAnnouncement = { type: "leave", name: this.#name };
      try {
        await redis.eval(
          DEREGISTER_SCRIPT,
          2,
          this.#keys.worker(this.#name),
          this.#keys.index,
          this.#name,
          this.#keys.channel,
          JSON.stringify(leave),
        );
        this.#log.info(`Deregistered worker ${this.#name}`);
      } catch (err) {
        this.#log.warn(`Could not deregister worker ${this.#name} (its record expires in ${this.ttlMs} ms): ${err}`);
      }
    }
    this.#registered = false;
    await closeRegistryConnection(redis);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      this.#replaceIfStuck();
      // The beat goes on even if a write never settles (a client wedged behind a partition was seen to stop the
      // heartbeats for good): wait for it at most one beat.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#write("plain"), new Promise((r) => timer = setTimeout(r, this.heartbeatMs))]);
      clearTimeout(timer);
      this.#schedule();
    }, this.heartbeatMs);
  }

  /**
   * A client that has not been ready for several beats, although reconnects are tried every fraction of a beat, is
   * wedged (after a partition healed, one was seen to come back for one heartbeat and never be ready again): drop it
   * and start a fresh one. During a real outage this makes a new client every few beats, which costs nothing.
   */
  #replaceIfStuck(): void {
    const redis = this.#redis;
    if (!redis || this.#stopped) return;
    if (redis.status === "ready") {
      this.#aliveAt = performance.now();
      return;
    }
    if (performance.now() - this.#aliveAt < STUCK_BEATS * this.heartbeatMs) return;
    this.#problem(`Redis connection not ready for ${STUCK_BEATS} heartbeats: starting a fresh one`);
    this.#replace(redis);
  }

  /** Swaps `redis` for a fresh client; the old one is torn down without waiting on a server that may be unreachable. */
  #replace(redis: Redis): void {
    if (this.#redis !== redis || this.#stopped) return;
    this.#redis = this.#connect();
    redis.stream?.destroy();
    redis.disconnect();
  }

  /** One heartbeat write; concurrent requests coalesce into one more write after the running one. */
  #write(kind: "plain" | "update"): Promise<boolean> {
    if (this.#writing) {
      if (this.#writeAgain !== "update") this.#writeAgain = kind;
      return this.#writing;
    }
    this.#writing = this.#writeOnce(kind).finally(() => {
      this.#writing = null;
      const again = this.#writeAgain;
      this.#writeAgain = "";
      if (again && !this.#stopped) void this.#write(again);
    });
    return this.#writing;
  }

  async #writeOnce(kind: "plain" | "update"): Promise<boolean> {
    const redis = this.#redis;
    if (!redis || this.#stopped || redis.status !== "ready") return false;
    let record: WorkerRecord;
    try {
      record = workerRecordSchema.parse({ ...this.#options.snapshot(), heartbeatAt: Date.now() });
    } catch (err) {
      this.#problem(`worker snapshot is not a valid registry record, not registering: ${err}`);
      return this.#registered = false;
    }
    if (this.#name && this.#name !== record.name) {
      this.#problem(`worker name changed from ${this.#name} to ${record.name}; keeping ${this.#name}`);
      return false;
    }
    this.#name = record.name;
    const join: RegistryAnnouncement = { type: "join", name: record.name };
    const update: RegistryAnnouncement = { type: "update", name: record.name };
    try {
      const existed = await redis.eval(
        HEARTBEAT_SCRIPT,
        2,
        this.#keys.worker(record.name),
        this.#keys.index,
        signedRecordJson(record, this.#signingKey),
        String(Math.round(this.ttlMs)),
        record.name,
        this.#keys.channel,
        JSON.stringify(join),
        kind === "update" ? JSON.stringify(update) : "",
      );
      if (existed === 0) {
        this.#log.info(
          this.#everRegistered
            ? `Re-registered worker ${record.name} at ${record.address} (its record had gone: Redis restart or missed heartbeats)`
            : `Registered worker ${record.name} at ${record.address} (heartbeat ${this.heartbeatMs} ms, TTL ${this.ttlMs} ms)`,
        );
      }
      this.#registered = true;
      this.#everRegistered = true;
      this.#lastProblem = "";
      return true;
    } catch (err) {
      if (/timed out/i.test((err as Error).message) && redis.status === "ready") {
        this.#problem(`Redis did not answer the heartbeat within ${this.heartbeatMs} ms: reconnecting`);
        // The connection may be stuck behind a partition, where a polite close never completes (and a client whose
        // socket was dropped there was seen never to reconnect): drop it and start a fresh client, which keeps
        // trying every fraction of a beat and registers as soon as Redis answers again.
        this.#replace(redis);
        return this.#registered = false;
      }
      // A dropped connection is already logged by the connection; other failures (auth, OOM) once per message.
      if (redis.status === "ready") this.#problem(`registry write failed: ${(err as Error).message}`);
      return this.#registered = false;
    }
  }

  #problem(message: string): void {
    if (message === this.#lastProblem) return;
    this.#lastProblem = message;
    this.#log.error(message);
  }
}
