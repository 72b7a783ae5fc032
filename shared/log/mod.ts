/**
 * Logging for every service: a thin layer over LogTape so that all code asks for loggers the same way.
 * Sinks and levels are set once per process by {@linkcode setupLogging} (see `setup.ts`).
 *
 * @module
 */
import { getLogger as getLogtapeLogger, type Logger } from "@logtape/logtape";
import { AUDIT_CATEGORY, ROOT_CATEGORY } from "./category.ts";

export type { Logger };
export { AUDIT_CATEGORY, ROOT_CATEGORY };

/**
 * Returns the logger for a category below the project root, e.g. `getLogger("worker", "runtime")`.
 * Add context fields with `logger.with({ session_id, model_id })`.
 */
export function getLogger(...category: string[]): Logger {
  return getLogtapeLogger([ROOT_CATEGORY, ...category]);
}

export { type LoggingOptions, setupLogging, teardownLogging } from "./setup.ts";
export { logContext, withLogContext } from "./context.ts";
