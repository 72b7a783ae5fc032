/**
 * Sets up logging once per process: LogTape sinks writing to stderr, JSON lines (`LOG_FORMAT=json`) or readable
 * lines (`text`, coloured only on a terminal and when `NO_COLOR` is not set), filtered at `LOG_LEVEL`.
 *
 * Context fields: `service` and `worker` from here are on every line; add per-session fields with
 * `getLogger(...).with({ session_id, model_id })`, or for a whole async call tree with `withLogContext`
 * (`context.ts`), which also carries `session_id` and `request_id` to the workers.
 * Keep per-frame logging at `debug`.
 *
 * @module
 */
import { configureSync, type LogRecord, resetSync } from "@logtape/logtape";
import type { LogFormat, LogLevel } from "../config/common.ts";
import { logContextStorage } from "./context.ts";
import { jsonLine, type StaticFields, textLine } from "./format.ts";
import { AUDIT_CATEGORY, ROOT_CATEGORY } from "./category.ts";

/** Options of {@linkcode setupLogging}. */
export interface LoggingOptions {
  /** Service name on every line, e.g. `worker` or `orchestrator`. */
  service: string;
  /** `LOG_LEVEL`. */
  level: LogLevel;
  /** `LOG_FORMAT`. */
  format: LogFormat;
  /** Worker name on every line (workers only). */
  worker?: string;
  /** Where lines go; default stderr. Tests pass a collector. */
  write?: (line: string) => void;
  /** Force colours on or off; default: on when stderr is a terminal and `NO_COLOR` is unset. */
  colors?: boolean;
}

const encoder = new TextEncoder();

/** Writes a whole line to stderr synchronously, looping over partial writes. */
function writeStderr(line: string): void {
  let bytes = encoder.encode(line);
  while (bytes.length > 0) {
    const n = Deno.stderr.writeSync(bytes);
    bytes = bytes.subarray(n);
  }
}

/** Colours by default only for a person at a terminal who has not opted out (https://no-color.org). */
function defaultColors(): boolean {
  let noColor = false;
  try {
    noColor = (Deno.env.get("NO_COLOR") ?? "") !== "";
  } catch {
    // No env permission: treat as unset.
  }
  return !noColor && Deno.stderr.isTerminal();
}

/**
 * Configures LogTape for the project's loggers (category `voice` and below) and LogTape's own warnings. Replaces
 * any earlier configuration, so it is safe to call again (tests do).
 */
export function setupLogging(options: LoggingOptions): void {
  const fields: StaticFields = { service: options.service };
  if (options.worker !== undefined) fields.worker = options.worker;
  const write = options.write ?? writeStderr;
  const colors = options.colors ?? defaultColors();
  const render = options.format === "json"
    ? (record: LogRecord) => jsonLine(record, fields)
    : (record: LogRecord) => textLine(record, fields, colors);
  const auditFields: StaticFields = { ...fields, stream: "audit" };
  configureSync({
    reset: true,
    contextLocalStorage: logContextStorage,
    sinks: {
      out: (record: LogRecord) => write(render(record)),
      // The audit stream is always JSON lines, whatever LOG_FORMAT says: it is read by machines.
      audit: (record: LogRecord) => write(jsonLine(record, auditFields)),
    },
    loggers: [
      { category: [ROOT_CATEGORY], sinks: ["out"], lowestLevel: options.level },
      // Always at info, whatever LOG_LEVEL says, and only to the audit sink.
      { category: [ROOT_CATEGORY, AUDIT_CATEGORY], sinks: ["audit"], lowestLevel: "info", parentSinks: "override" },
      { category: ["logtape", "meta"], sinks: ["out"], lowestLevel: "warning" },
    ],
  });
}

/** Removes the logging configuration (records are dropped until `setupLogging` runs again). */
export function teardownLogging(): void {
  resetSync();
}
