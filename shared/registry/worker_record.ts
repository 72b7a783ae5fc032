/**
 * What a TTS worker publishes about itself in the Redis registry, and the schema that validates a record read back.
 * Workers write it on every heartbeat; the orchestrator's {@linkcode WorkerDirectory} reads and validates it.
 *
 * @module
 */
import { z } from "zod";

/** What a worker can do (mirrors `tts.v1.Capabilities`). */
export const workerCapabilitiesSchema = z.object({
  streaming: z.boolean(),
  sampleRate: z.number().int().positive(),
  frameMs: z.number().int().positive(),
  languages: z.array(z.string()),
  supportsPause: z.boolean(),
  /** `cpu`, `cuda:0`, ... */
  device: z.string(),
});

/** Load metrics, refreshed on every heartbeat (and on demand, see `WorkerRegistration.refreshNow`). */
export const workerLoadSchema = z.object({
  activeSessions: z.number().int().nonnegative(),
  maxSessions: z.number().int().nonnegative(),
  /** Synthesize streams waiting for compute. */
  queueDepth: z.number().int().nonnegative(),
  /** Mean measured real-time factor; 0 when not measured yet. */
  rtf: z.number().nonnegative(),
});

/** Zod schema of one worker's registry record; unknown extra fields are ignored (newer workers may add some). */
export const workerRecordSchema = z.object({
  /** Unique worker name; also the key suffix in Redis. */
  name: z.string().min(1).max(200),
  /** `host:port` the orchestrator dials for gRPC. */
  address: z.string().min(3).regex(/^[^\s]+:\d{1,5}$/, "must be host:port"),
  /** `host:port` of the worker's Prometheus listener (`/metrics`); absent when it has none. */
  metricsAddress: z.string().min(3).regex(/^[^\s]+:\d{1,5}$/, "must be host:port").optional(),
  adapter: z.string().min(1),
  version: z.string(),
  /** Unix epoch milliseconds. */
  startedAt: z.number().nonnegative(),
  /** Unix epoch milliseconds of the write (worker clock: informative only, liveness is the Redis TTL). */
  heartbeatAt: z.number().nonnegative(),
  defaultModel: z.string(),
  residentModels: z.array(z.string()),
  availableModels: z.array(z.string()),
  capabilities: workerCapabilitiesSchema,
  load: workerLoadSchema,
});

/** One worker's registry record. */
export type WorkerRecord = z.infer<typeof workerRecordSchema>;
/** Capabilities part of a {@linkcode WorkerRecord}. */
export type WorkerCapabilities = z.infer<typeof workerCapabilitiesSchema>;
/** Load part of a {@linkcode WorkerRecord}. */
export type WorkerLoad = z.infer<typeof workerLoadSchema>;

/** Result of {@linkcode parseWorkerRecord}: the record, or a one-line reason naming the bad fields. */
export type ParsedWorkerRecord = { ok: true; record: WorkerRecord } | { ok: false; error: string };

/** Parses and validates a JSON record read from Redis; never throws. */
export function parseWorkerRecord(raw: string): ParsedWorkerRecord {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `not JSON (${(err as Error).message})` };
  }
  const result = workerRecordSchema.safeParse(value);
  if (result.success) return { ok: true, record: result.data };
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  return { ok: false, error: problems.join("; ") };
}

/** Redis key layout shared by the registration (writer) and the directory (reader). */
export interface RegistryKeys {
  /** Prefix of every key, e.g. `tts:`. */
  prefix: string;
  /** Set of registered worker names (the index; discovery never uses KEYS). */
  index: string;
  /** Pub/sub channel for join/leave/update announcements. */
  channel: string;
  /** Key of one worker's JSON record (with a PX TTL). */
  worker(name: string): string;
}

/** Default key prefix of the registry. */
export const DEFAULT_KEY_PREFIX = "tts:";

/** Builds the key layout for a prefix. */
export function registryKeys(prefix: string = DEFAULT_KEY_PREFIX): RegistryKeys {
  return {
    prefix,
    index: `${prefix}workers`,
    channel: `${prefix}workers:events`,
    worker: (name) => `${prefix}worker:${name}`,
  };
}

/** A join/leave/update announcement published on {@linkcode RegistryKeys.channel}. */
export interface RegistryAnnouncement {
  type: "join" | "leave" | "update";
  name: string;
}

/** Hides the password of a Redis URL for logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => (auth.includes(":") ? "//***@" : `//${auth}@`));
}
