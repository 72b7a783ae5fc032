/**
 * Variables every service reads: logging, Redis, strictness.
 *
 * @module
 */
import { boolField, enumField, stringField, urlField } from "./fields.ts";

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** A log level as configured by `LOG_LEVEL`. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Log line formats as configured by `LOG_FORMAT`. */
export const LOG_FORMATS = ["json", "text"] as const;
/** A log format as configured by `LOG_FORMAT`. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Choices of `GPU_METRICS`. */
export const GPU_METRICS_MODES = ["auto", "on", "off"] as const;
/** When a process reads its GPU for the metrics (`GPU_METRICS`). */
export type GpuMetricsMode = (typeof GPU_METRICS_MODES)[number];

/** Whether a process on `device` (`cpu`, `cuda`, `cuda:1`) exports GPU gauges under `mode`. */
export function wantsGpuMetrics(mode: GpuMetricsMode, device: string): boolean {
  return mode === "on" || (mode === "auto" && device.startsWith("cuda"));
}

/** Fields shared by every service schema (spread into each service's shape). */
export const commonFields = {
  /** Lowest level that is logged. */
  LOG_LEVEL: enumField(LOG_LEVELS, "info"),
  /** `json` = one JSON object per line (production), `text` = readable coloured lines (development). */
  LOG_FORMAT: enumField(LOG_FORMATS, "text"),
  /** Redis for worker discovery; may carry a password (`redis://:secret@host:6379/0`). */
  REDIS_URL: urlField("redis://127.0.0.1:6379", ["redis", "rediss"]),
  /** Turns warnings that have a fallback (a missing voicepack) into errors. */
  STRICT_CONFIG: boolField(false),
  /** GPU gauges from nvidia-smi: `auto` = when the process computes on CUDA, `on` = always, `off` = never. */
  GPU_METRICS: enumField(GPU_METRICS_MODES, "auto"),
  /** The seed's switch: true logs at debug level (same as LOG_LEVEL=debug). There are no debug endpoints. */
  DEBUG: boolField(false),
  /**
   * Lets an exposed service start with missing or weak secrets (errors become loud warnings): a trusted lab network
   * only, never production (see `exposure.ts`).
   */
  ALLOW_INSECURE_DEV: boolField(false),
  /** Call credential between orchestrator and workers (and the key the registry records are signed with). */
  WORKER_RPC_SECRET: stringField(),
  /** During a rotation: also accepted (worker calls, registry signatures), never sent or signed with. */
  WORKER_RPC_SECRET_ACCEPT: stringField(),
};

/** The effective log level: `DEBUG=true` means debug. */
export function effectiveLogLevel(config: { LOG_LEVEL: LogLevel; DEBUG: boolean }): LogLevel {
  return config.DEBUG ? "debug" : config.LOG_LEVEL;
}
