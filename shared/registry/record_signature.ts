/**
 * Signed registry records: a worker appends `"sig"` (HMAC-SHA256, hex) over the exact JSON of its record, with a key
 * derived from the shared `WORKER_RPC_SECRET`. An orchestrator that has the secret ignores records without a valid
 * signature, so a process that can write to Redis cannot register a fake worker and receive the agent's speech.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { constantTimeEqual } from "../security/constant_time.ts";

/** The field that carries the signature; always the last one in the stored JSON. */
export const SIGNATURE_FIELD = "sig";

/** The signing key for registry records: its own key, derived from the shared secret (never the secret itself). */
export function registryKey(secret: string): Buffer {
  return createHmac("sha256", secret).update("voice-chat registry record v1").digest();
}

function sign(key: Buffer, json: string): string {
  return createHmac("sha256", key).update(json).digest("hex");
}

/** The stored value of a record: its JSON, with the signature appended when a key is given. */
export function signedRecordJson(record: object, key: Buffer | null): string {
  const json = JSON.stringify(record);
  if (!key) return json;
  return `${json.slice(0, -1)},"${SIGNATURE_FIELD}":"${sign(key, json)}"}`;
}

/**
 * Checks the signature of a parsed stored value and returns the record without it; `null` when it is missing or
 * does not match. The signed text is rebuilt from the parsed value (field order is kept by `JSON.parse`).
 */
export function verifiedRecord(value: Record<string, unknown>, key: Buffer): Record<string, unknown> | null {
  const { [SIGNATURE_FIELD]: sig, ...record } = value;
  if (typeof sig !== "string" || !/^[0-9a-f]{64}$/.test(sig)) return null;
  return constantTimeEqual(sign(key, JSON.stringify(record)), sig) ? record : null;
}
