/**
 * The orchestrator's view of the worker registry: which workers are registered now, and join/leave/update events.
 *
 * Discovery reads a set index plus one key per worker in a single server-side script (never `KEYS`); index entries
 * whose record expired are removed by the same script. Joins and leaves are seen promptly through a pub/sub
 * announcement; a periodic refresh catches workers that died without saying goodbye (their record's TTL ran out)
 * and load updates.
 *
 * During a Redis outage the directory keeps the workers it last saw (they cannot heartbeat either, so their absence
 * means nothing) and reports `connected = false`. Right after Redis comes back, workers get `outageGraceMs` to
 * re-register before their absence counts as a leave, so a Redis restart does not look like every worker leaving.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { getLogger } from "../log/mod.ts";
import { closeRegistryConnection, openRegistryConnection, waitForFirstVerdict } from "./connection.ts";
import {
  DEFAULT_KEY_PREFIX,
  parseWorkerRecord,
  type RegistryAnnouncement,
  type RegistryKeys,
  registryKeys,
  type WorkerRecord,
} from "./worker_record.ts";

/** Options of a {@linkcode WorkerDirectory}. */
export interface WorkerDirectoryOptions {
  /** `redis://[:password@]host:port[/db]` (`REDIS_URL`). */
  redisUrl: string;
  /** Period of the full re-read that catches expiries and load changes, default 1000 ms. */
  refreshMs?: number;
  /** Key prefix, default `tts:`. */
  keyPrefix?: string;
  /** After Redis comes back, how long missing workers are kept before they count as gone, default 6000 ms. */
  outageGraceMs?: number;
}

/** Directory event names. */
export type DirectoryEventType = "join" | "leave" | "update";
/** Listener of directory events; `leave` receives the last record seen. */
export type DirectoryListener = (record: WorkerRecord) => void;

// Lists every indexed worker's record in one round trip and drops index entries whose record has expired.
const LIST_SCRIPT = `
local names = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, name in ipairs(names) do
  local value = redis.call('GET', ARGV[1] .. name)
  if value then
    out[#out + 1] = name
    out[#out + 1] = value
  else
    redis.call('SREM', KEYS[1], name)
  end
end
return out`;

/** Live list of registered TTS workers, for the orchestrator's router. */
export class WorkerDirectory {
  readonly refreshMs: number;
  readonly outageGraceMs: number;
  readonly #redisUrl: string;
  readonly #keys: RegistryKeys;
  readonly #log = getLogger("registry", "directory");
  readonly #workers = new Map<string, { record: WorkerRecord; signature: string }>();
  readonly #listeners: Record<DirectoryEventType, Set<DirectoryListener>> = {
    join: new Set(),
    leave: new Set(),
    update: new Set(),
  };
  readonly #malformed = new Map<string, string>();
  readonly #announcedLeaves = new Set<string>();
  #commands: Redis | null = null;
  #subscriber: Redis | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refreshing: Promise<boolean> | null = null;
  #refreshAgain = false;
  #everConnected = false;
  #graceUntil = 0;
  #stopped = false;

  constructor(options: WorkerDirectoryOptions) {
    this.refreshMs = options.refreshMs ?? 1000;
    this.outageGraceMs = options.outageGraceMs ?? 6000;
    if (!Number.isFinite(this.refreshMs) || this.refreshMs < 10) {
      throw new RangeError(`refreshMs must be a number >= 10, got ${options.refreshMs}`);
    }
    this.#redisUrl = options.redisUrl;
    this.#keys = registryKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  }

  /** True while the directory can read Redis. */
  get connected(): boolean {
    return this.#commands?.status === "ready";
  }

  /**
   * Connects, subscribes to announcements and reads the registry. Resolves after the first read attempt with
   * whether it succeeded; never rejects (with Redis down the list fills in as soon as Redis is reachable).
   */
  async start(): Promise<boolean> {
    if (this.#commands || this.#stopped) return this.connected;
    this.#commands = openRegistryConnection({
      redisUrl: this.#redisUrl,
      logger: this.#log,
      role: "worker directory",
      onReady: () => {
        if (this.#everConnected) this.#graceUntil = Date.now() + this.outageGraceMs;
        this.#everConnected = true;
        void this.refresh();
      },
    });
    this.#subscriber = openRegistryConnection({
      redisUrl: this.#redisUrl,
      logger: this.#log,
      role: "worker directory announcements",
      onReady: () => void this.#subscribe(),
    });
    this.#subscriber.on("message", (_channel: string, message: string) => this.#onAnnouncement(message));
    this.#schedule();
    await waitForFirstVerdict(this.#commands);
    return this.#refreshing ?? this.refresh();
  }

  /** Workers registered now (see the module note for outages), sorted by name. */
  list(): WorkerRecord[] {
    return [...this.#workers.values()].map((entry) => entry.record).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The record of one worker, if registered. */
  get(name: string): WorkerRecord | undefined {
    return this.#workers.get(name)?.record;
  }

  /** Adds a listener; returns the function that removes it. */
  on(type: DirectoryEventType, listener: DirectoryListener): () => void {
    this.#listeners[type].add(listener);
    return () => this.#listeners[type].delete(listener);
  }

  /** Re-reads the registry now; concurrent calls share one read. Resolves with success, never rejects. */
  refresh(): Promise<boolean> {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = this.#read().finally(() => {
      this.#refreshing = null;
      if (this.#refreshAgain && !this.#stopped) {
        this.#refreshAgain = false;
        void this.refresh();
      }
    });
    return this.#refreshing;
  }

  /** Stops refreshing and closes both connections. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#refreshing?.catch(() => {});
    await Promise.all([this.#commands, this.#subscriber].map((redis) => redis && closeRegistryConnection(redis)));
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      await this.refresh();
      this.#schedule();
    }, this.refreshMs);
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#subscriber?.subscribe(this.#keys.channel);
      // Announcements sent while we were not subscribed are lost: read the registry to catch up.
      void this.refresh();
    } catch (err) {
      this.#log.debug(`subscribe failed (will retry on reconnect): ${err}`);
    }
  }

  #onAnnouncement(message: string): void {
    try {
      const announcement = JSON.parse(message) as RegistryAnnouncement;
      if (announcement?.type === "leave" && typeof announcement.name === "string") {
        // A deliberate leave is final even inside the post-outage grace period.
        this.#announcedLeaves.add(announcement.name);
      }
    } catch {
      this.#log.debug(`ignoring malformed registry announcement: ${message.slice(0, 200)}`);
    }
    void this.refresh();
  }

  async #read(): Promise<boolean> {
    const redis = this.#commands;
    if (!redis || this.#stopped || redis.status !== "ready") return false;
    let flat: string[];
    try {
      flat = await redis.eval(LIST_SCRIPT, 1, this.#keys.index, this.#keys.worker("")) as string[];
    } catch (err) {
      if (redis.status === "ready") this.#log.warn(`registry read failed: ${(err as Error).message}`);
      return false;
    }
    if (this.#stopped) return false;
    const seen = new Map<string, WorkerRecord>();
    const present = new Set<string>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      present.add(flat[i]);
      const record = this.#validate(flat[i], flat[i + 1]);
      if (record) seen.set(record.name, record);
    }
    // Forget warnings about records that are gone, so a new bad value of that name is reported again.
    for (const name of [...this.#malformed.keys()]) if (!present.has(name)) this.#malformed.delete(name);
    this.#apply(seen);
    return true;
  }

  #validate(name: string, raw: string): WorkerRecord | null {
    const parsed = parseWorkerRecord(raw);
    if (parsed.ok && parsed.record.name !== name) {
      this.#warnMalformed(name, raw, `its name field says "${parsed.record.name}"`);
      return null;
    }
    if (!parsed.ok) {
      this.#warnMalformed(name, raw, parsed.error);
      return null;
    }
    this.#malformed.delete(name);
    return parsed.record;
  }

  #warnMalformed(name: string, raw: string, why: string): void {
    // One warning per bad value, not one per refresh.
    if (this.#malformed.get(name) === raw) return;
    this.#malformed.set(name, raw);
    this.#log.warn(`Skipping malformed registry record of worker "${name}": ${why}`);
  }

  #apply(seen: Map<string, WorkerRecord>): void {
    const inGrace = Date.now() < this.#graceUntil;
    for (const [name, entry] of [...this.#workers]) {
      if (seen.has(name)) continue;
      if (inGrace && !this.#announcedLeaves.has(name)) continue;
      this.#workers.delete(name);
      this.#emit("leave", entry.record);
    }
    this.#announcedLeaves.clear();
    for (const [name, record] of seen) {
      const signature = JSON.stringify({ ...record, heartbeatAt: 0 });
      const previous = this.#workers.get(name);
      this.#workers.set(name, { record, signature });
      if (!previous) this.#emit("join", record);
      else if (previous.signature !== signature) this.#emit("update", record);
    }
  }

  #emit(type: DirectoryEventType, record: WorkerRecord): void {
    if (type !== "update") {
      this.#log.info(`Worker ${record.name} (${record.address}) ${type === "join" ? "joined" : "left"}`);
    }
    for (const listener of this.#listeners[type]) {
      try {
        listener(record);
      } catch (err) {
        this.#log.error(`directory ${type} listener failed: ${err}`);
      }
    }
  }
}
