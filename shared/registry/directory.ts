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
import type { Buffer } from "node:buffer";
import type { Redis } from "ioredis";
import { getLogger } from "../log/mod.ts";
import { closeRegistryConnection, openRegistryConnection, waitForFirstVerdict } from "./connection.ts";
import { audit } from "../log/audit.ts";
import { registryKey } from "./record_signature.ts";
import {
  DEFAULT_KEY_PREFIX,
  MAX_RECORD_BYTES,
  MAX_REGISTRY_ENTRIES,
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
  /** `WORKER_RPC_SECRET`: when set, only records signed with it are used (see `record_signature.ts`). */
  signingSecret?: string;
  /** `WORKER_RPC_SECRET_ACCEPT`: records signed with it are used too (key rotation). */
  acceptedSigningSecret?: string;
}

/** Directory event names. */
export type DirectoryEventType = "join" | "leave" | "update";
/** Listener of directory events; `leave` receives the last record seen. */
export type DirectoryListener = (record: WorkerRecord) => void;

// Lists the indexed workers' records in one round trip and drops index entries whose record has expired. At most
// ARGV[2] entries come back, and a value over ARGV[3] bytes (or a name over 200) comes back empty (skipped unread),
// so a flood of fake entries costs the orchestrator bounded memory. The last element is the index size.
const LIST_SCRIPT = `
local names = redis.call('SMEMBERS', KEYS[1])
local limit = tonumber(ARGV[2])
local max_bytes = tonumber(ARGV[3])
local out = {}
local count = 0
for _, name in ipairs(names) do
  local key = ARGV[1] .. name
  local size = redis.call('STRLEN', key)
  if size == 0 then
    redis.call('SREM', KEYS[1], name)
  elseif count < limit and #name <= 200 then
    count = count + 1
    out[#out + 1] = name
    if size > max_bytes then out[#out + 1] = '' else out[#out + 1] = redis.call('GET', key) end
  end
end
out[#out + 1] = tostring(#names)
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
  /** Name → fingerprint of the bad value last warned about (one warning per bad value). */
  readonly #malformed = new Map<string, string>();
  /** Names already warned about for a missing or wrong signature (one warning per name). */
  readonly #unsigned = new Set<string>();
  readonly #signingKeys: Buffer[];
  #warnedOverflow = false;
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
    this.#signingKeys = options.signingSecret
      ? [options.signingSecret, options.acceptedSigningSecret].filter((s): s is string => Boolean(s)).map(registryKey)
      : [];
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
      flat = await redis.eval(
        LIST_SCRIPT,
        1,
        this.#keys.index,
        this.#keys.worker(""),
        String(MAX_REGISTRY_ENTRIES),
        String(MAX_RECORD_BYTES),
      ) as string[];
    } catch (err) {
      if (redis.status === "ready") this.#log.warn(`registry read failed: ${(err as Error).message}`);
      return false;
    }
    if (this.#stopped) return false;
    const indexed = Number(flat.pop() ?? 0);
    if (indexed > MAX_REGISTRY_ENTRIES && !this.#warnedOverflow) {
      this.#warnedOverflow = true;
      this.#log.warn(
        `the registry index lists ${indexed} workers; only ${MAX_REGISTRY_ENTRIES} are read (is someone flooding it?)`,
      );
    }
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
    if (raw === "") {
      this.#warnMalformed(name, raw, `larger than ${MAX_RECORD_BYTES} bytes`);
      return null;
    }
    const parsed = parseWorkerRecord(raw, this.#signingKeys);
    if (!parsed.ok && parsed.unsigned) {
      if (!this.#unsigned.has(name)) {
        this.#unsigned.add(name);
        if (this.#unsigned.size > MAX_REGISTRY_ENTRIES) this.#unsigned.delete(this.#unsigned.values().next().value!);
        this.#log.warn(`Ignoring registry record of worker "${name}": ${parsed.error}`);
        audit({ action: "registry.rejected", outcome: "denied", target: name.slice(0, 100), reason: "unsigned" });
      }
      return null;
    }
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
    // One warning per bad value, not one per refresh (a fingerprint is kept, not the value).
    const fingerprint = `${raw.length}:${fnv1a32(raw)}`;
    if (this.#malformed.get(name) === fingerprint) return;
    this.#malformed.set(name, fingerprint);
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

/** A 32-bit FNV-1a hash (fingerprints of bad values, so they need not be kept). */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}
