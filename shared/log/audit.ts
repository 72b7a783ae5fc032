/**
 * The audit stream: one JSON line per security-relevant event (category `voice.audit`), written whatever
 * `LOG_LEVEL` and `LOG_FORMAT` say, so operators can keep it apart from the diagnostic log. Each line has the
 * timestamp, the action, its outcome, the principal (a non-secret id such as `key:3fa1…` or `web:10.0.0.7`) and the
 * client address. Never pass transcript text, message content or secrets: the fields are an allow-list below.
 *
 * @module
 */
import { AUDIT_CATEGORY, getLogger } from "./mod.ts";

/** What happened. */
export type AuditAction =
  | "auth"
  | "token.minted"
  | "session.start"
  | "session.end"
  | "admin.rpc"
  | "rpc.denied"
  | "worker_session.expired"
  | "registry.rejected"
  | "connection.refused";

/** One audit event. */
export interface AuditEvent {
  action: AuditAction;
  /** `ok`, `denied` (refused by policy) or `error`. */
  outcome: "ok" | "denied" | "error";
  /** Who: a non-secret principal id. */
  principal?: string;
  /** Client address (after trusted proxies). */
  client?: string;
  /** What was acted on: a session id, an RPC name, a worker name. */
  target?: string;
  /** Why, for refusals: a fixed reason code such as `bad_key` or `forbidden_origin`, never user content. */
  reason?: string;
  /** Which transport or service: `ws`, `livekit`, `http`, `grpc`. */
  via?: string;
}

/** Writes one audit line. Only the fields of {@linkcode AuditEvent} are kept. */
export function audit(event: AuditEvent): void {
  const fields: Record<string, string> = { action: event.action, outcome: event.outcome };
  for (const key of ["principal", "client", "target", "reason", "via"] as const) {
    const value = event[key];
    if (value !== undefined) fields[key] = String(value).slice(0, 200);
  }
  getLogger(AUDIT_CATEGORY).info("audit {action} {outcome}", fields);
}
