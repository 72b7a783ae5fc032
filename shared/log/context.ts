/**
 * Ids that follow one piece of work through every log line it causes: `session_id` (a conversation) and
 * `request_id` (one turn's response), across async hops inside a process and across the gRPC hop from the
 * orchestrator to a worker (as metadata, {@linkcode CONTEXT_METADATA}).
 *
 * The store is the one LogTape reads its implicit context from (see `setup.ts`), so every line logged inside
 * {@linkcode withLogContext} carries the fields with no change to the code that logs it.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Fields carried through a call tree. */
export type LogContext = Record<string, unknown>;

/** The implicit context store; LogTape is configured with it. */
export const logContextStorage: AsyncLocalStorage<LogContext> = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` added to the current context (inner values win). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return logContextStorage.run({ ...logContextStorage.getStore(), ...fields }, fn);
}

/** The context of the running call tree (empty outside any {@linkcode withLogContext}). */
export function logContext(): LogContext {
  return logContextStorage.getStore() ?? {};
}

/** gRPC metadata keys that carry the ids from the orchestrator to a worker. */
export const CONTEXT_METADATA = { sessionId: "x-session-id", requestId: "x-request-id" } as const;

/** Longest id accepted from metadata; longer or odd values are dropped (they end up in every log line). */
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The ids of `context` (default: the current one) as metadata pairs (only those that are set). */
export function contextMetadataPairs(context: LogContext = logContext()): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (typeof context.session_id === "string") pairs.push([CONTEXT_METADATA.sessionId, context.session_id]);
  if (typeof context.request_id === "string") pairs.push([CONTEXT_METADATA.requestId, context.request_id]);
  return pairs;
}

/** The log fields carried in by metadata (`get` reads one key), ignoring malformed values. */
export function contextFromMetadata(get: (key: string) => unknown): LogContext {
  const fields: LogContext = {};
  const read = (key: string) => {
    const value = get(key);
    return typeof value === "string" && ID_PATTERN.test(value) ? value : undefined;
  };
  const sessionId = read(CONTEXT_METADATA.sessionId);
  const requestId = read(CONTEXT_METADATA.requestId);
  if (sessionId) fields.session_id = sessionId;
  if (requestId) fields.request_id = requestId;
  return fields;
}
