/**
 * Small gRPC helpers for the router: promise-returning unary calls with deadlines, and which failures mean "try
 * another worker" versus "the request itself is wrong".
 *
 * @module
 */
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import {
  ControlCommand,
  type ControlResponse,
  type StartSessionRequest,
  type StartSessionResponse,
  type TTSServiceClient,
} from "../../proto/gen/tts.ts";
import { contextMetadataPairs, type LogContext, logContext } from "../../shared/log/context.ts";
import { getLogger } from "../../shared/log/mod.ts";

const log = getLogger("orchestrator", "routing");

/** The gRPC status code of an error, or undefined for non-gRPC errors. */
export function grpcCode(error: unknown): number | undefined {
  const code = (error as ServiceError | null)?.code;
  return typeof code === "number" ? code : undefined;
}

// A request the worker rejects as malformed would be rejected by every worker: failing over cannot help.
const REQUEST_ERRORS = new Set<number>([
  status.INVALID_ARGUMENT,
  status.OUT_OF_RANGE,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.UNIMPLEMENTED,
]);

/** True when the failure is about the request, not the worker (no failover). */
export function isRequestError(error: unknown): boolean {
  const code = grpcCode(error);
  return code !== undefined && REQUEST_ERRORS.has(code);
}

/** Short text for logs and errors: `UNAVAILABLE: connection refused`. */
export function describeError(error: unknown): string {
  const code = grpcCode(error);
  const message = (error as Error)?.message ?? String(error);
  if (code === undefined) return message;
  const name = Object.entries(status).find(([, value]) => value === code)?.[0] ?? String(code);
  return message.startsWith(`${code} `) ? `${name}: ${message.slice(String(code).length + 1)}` : `${name}: ${message}`;
}

function deadline(timeoutMs: number): { deadline: Date } {
  return { deadline: new Date(Date.now() + timeoutMs) };
}

/**
 * Metadata carrying the session and request ids of `context` (default: the running call tree) to the worker, so
 * its log lines for this work carry the same ids as ours.
 */
export function contextMetadata(context: LogContext = logContext()): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of contextMetadataPairs(context)) metadata.set(key, value);
  return metadata;
}

/** StartSession with a deadline. */
export function startSession(
  client: TTSServiceClient,
  request: StartSessionRequest,
  timeoutMs: number,
): Promise<StartSessionResponse> {
  return new Promise((resolve, reject) => {
    client.startSession(request, contextMetadata(), deadline(timeoutMs), (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/** EndSession with a deadline; resolves whether or not the worker knew the session. */
export function endSession(client: TTSServiceClient, sessionId: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      client.endSession({ sessionId }, new Metadata(), deadline(timeoutMs), (error) => resolve(!error));
    } catch {
      resolve(false); // the channel is already closed (shutdown): the worker's lease ends the session
    }
  });
}

/**
 * RenewSessions with a deadline: the ids the worker does not know. Never rejects: a failed renewal is retried at the
 * next period, and a worker that stays unreachable is dealt with by failover.
 */
export function renewSessions(client: TTSServiceClient, sessionIds: string[], timeoutMs: number): Promise<Set<string>> {
  return new Promise((resolve) => {
    try {
      client.renewSessions({ sessionIds }, new Metadata(), deadline(timeoutMs), (error, response) => {
        if (error) {
          log.debug("RenewSessions failed: {error}", { error: describeError(error) });
          resolve(new Set());
        } else resolve(new Set(response.unknownSessionIds));
      });
    } catch {
      resolve(new Set()); // the channel is already closed (shutdown)
    }
  });
}

/** Control with a deadline. */
export function control(
  client: TTSServiceClient,
  sessionId: string,
  command: ControlCommand,
  timeoutMs: number,
): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    client.control({ sessionId, command }, new Metadata(), deadline(timeoutMs), (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/**
 * Control with a deadline that never rejects: true when the worker carried the command out. A failure is only logged
 * (at debug): a dead worker is dealt with by failover, and a refused command changes nothing.
 */
export async function tryControl(
  client: TTSServiceClient,
  sessionId: string,
  command: ControlCommand,
  timeoutMs: number,
  worker: string,
): Promise<boolean> {
  try {
    await control(client, sessionId, command, timeoutMs);
    return true;
  } catch (error) {
    log.debug("Control {command} on {worker} failed: {error}", {
      command: ControlCommand[command],
      worker,
      error: describeError(error),
    });
    return false;
  }
}
