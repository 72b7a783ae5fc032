/**
 * Ending a session from a transport: a session whose `end` throws must not take the connection handler down with it.
 *
 * @module
 */
import type { Logger } from "../../shared/log/mod.ts";
import type { SessionInput } from "./contract.ts";

/** Calls `session.end(reason)`, logging (not rethrowing) a failure against `connectionId`. */
export function endSessionSafely(
  session: SessionInput,
  reason: Parameters<SessionInput["end"]>[0],
  connectionId: string,
  log: Logger,
): void {
  try {
    session.end(reason);
  } catch (error) {
    log.error("session end failed on {id}: {error}", { id: connectionId, error });
  }
}
