/**
 * What a TTS worker publishes about itself in the Redis registry, and the schema that validates a record read back.
 * Workers write it on every heartbeat; the orchestrator's {@linkcode WorkerDirectory} reads and validates it.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { z } from "zod";
import { verifiedRecord } from "./record_signature.ts";

/** What a worker can do (mirrors `tts.v1.Capabilities`). */
export const workerCapabilitiesSchema = z.object({
  streaming: z.boolean(),
  sampleRate: z.number().int().positive(),
  frameMs: z.number().int().positive(),
  languages: z.array(z.string().max(35)).max(256),
  supportsPause: z.boolean(),
  /** `cpu`, `cuda:0`, ... */
  device: z.string().max(64),
});

/** Largest stored record read, in bytes (a real one is about 1 KiB); bigger values are skipped unread. */
export const MAX_RECORD_BYTES = 16 * 1024;
/** Most registry entries read per refresh; more are ignored with a warning. */
export const MAX_REGISTRY_ENTRIES = 1024;
/** Most models one record may list. */
const MAX_MODELS = 512;
const modelIds = z.array(z.string().max(128)).max(MAX_MODELS);

/** Modes of the worker's gRPC port: plaintext, TLS, or TLS that requires a client certificate. */
export const WORKER_LINK_MODES = ["off", "tls", "mtls"] as const;
/** How a worker's gRPC port must be dialled. */
export type WorkerLinkMode = (typeof WORKER_LINK_MODES)[number];

/**
 * The worker was asked to serve `requested` (its `DEFAULT_MODEL`) but serves `served` instead, because of `reason`
 * (e.g. no voicepack installed, see `workers/runtime/model_choice.ts`). The orchestrator routes sessions that ask for
 * `requested` to such a worker and tells the client with a `warning` event (`tts_model_fallback`).
 */
export const modelFallbackSchema = z.object({
  requested: z.string().min(1).max(128),
  served: z.string().min(1).max(128),
  reason: z.string().max(1000),
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
  address: z.string().min(3).max(300).regex(/^[^\s]+:\d{1,5}$/, "must be host:port"),
  /** `host:port` of the worker's Prometheus listener (`/metrics`); absent when it has none. */
  metricsAddress: z.string().min(3).max(300).regex(/^[^\s]+:\d{1,5}$/, "must be host:port").optional(),
  adapter: z.string().min(1).max(64),
  /** How the gRPC port is dialled; records of workers older than this field are plaintext. */
  tls: z.enum(WORKER_LINK_MODES).default("off"),
  version: z.string().max(64),
  /** Unix epoch milliseconds. */
  startedAt: z.number().nonnegative(),
  /** Unix epoch milliseconds of the write (worker clock: informative only, liveness is the Redis TTL). */
  heartbeatAt: z.number().nonnegative(),
  defaultModel: z.string().max(128),
  residentModels: modelIds,
  availableModels: modelIds,
  capabilities: workerCapabilitiesSchema,
  load: workerLoadSchema,
  /** Present when the worker serves something other than what it was configured to serve. */
  modelFallback: modelFallbackSchema.optional(),
});

/** One worker's registry record. */
export type WorkerRecord = z.infer<typeof workerRecordSchema>;
/** Capabilities part of a {@linkcode WorkerRecord}. */
export type WorkerCapabilities = z.infer<typeof workerCapabilitiesSchema>;
/** Fallback part of a {@linkcode WorkerRecord}. */
export type ModelFallback = z.infer<typeof modelFallbackSchema>;
/** Load part of a {@linkcode WorkerRecord}. */
export type WorkerLoad = z.infer<typeof workerLoadSchema>;

/** Result of {@linkcode parseWorkerRecord}: the record, or a one-line reason naming the bad fields. */
export type ParsedWorkerRecord = { ok: true; record: WorkerRecord } | { ok: false; error: string; unsigned?: boolean };

/**
 * Parses and validates a JSON record read from Redis; never throws. With `signingKeys`, a record without a valid
 * signature under one of `signingKeys` is refused (`unsigned: true`).
 */
export function parseWorkerRecord(raw: string, signingKeys: readonly Buffer[] = []): ParsedWorkerRecord {
  if (raw.length > MAX_RECORD_BYTES) return { ok: false, error: `larger than ${MAX_RECORD_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `not JSON (${(err as Error).message})` };
  }
  if (signingKeys.length) {
    const record = typeof value === "object" && value !== null && !Array.isArray(value)
      ? signingKeys.map((key) => verifiedRecord(value as Record<string, unknown>, key)).find((r) => r !== null) ?? null
      : null;
    if (!record) return { ok: false, unsigned: true, error: "no valid signature (is WORKER_RPC_SECRET the same?)" };
    value = record;
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
