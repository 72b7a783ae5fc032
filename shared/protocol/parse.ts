/**
 * Turns raw client messages into typed ones, or into a protocol error that names the problem. Every transport uses
 * these so that one rule set applies everywhere.
 *
 * @module
 */
import type { z } from "zod";
import { type ClientMessage, ClientMessageSchema } from "./client_messages.ts";
import { type ErrorCode, maxAudioBytes, type ProtocolLimits } from "./limits.ts";

/** A rejected message: the error code for the `error` event and a message that names the problem. */
export interface ProtocolViolation {
  ok: false;
  code: ErrorCode;
  message: string;
}

/** The result of parsing one message. */
export type ParseResult<T> = { ok: true; value: T } | ProtocolViolation;

/** Formats zod issues as `path: problem; path: problem` (at most three, so messages stay short). */
export function describeZodError(error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.length ? issue.path.join(".") : "message";
    return `${path}: ${issue.message}`;
  });
  if (error.issues.length > 3) parts.push(`(${error.issues.length - 3} more)`);
  return parts.join("; ");
}

/** Parses a JSON text message against the client schema and the limits. */
export function parseClientJson(raw: string, limits: ProtocolLimits): ParseResult<ClientMessage> {
  // A UTF-8 encoding is at least as long as the UTF-16 length: an oversized message is refused without encoding it.
  if (raw.length > limits.maxJsonBytes) {
    return violation(
      "message_too_big",
      `JSON message of ${raw.length}+ bytes exceeds the limit of ${limits.maxJsonBytes}`,
    );
  }
  const bytes = new TextEncoder().encode(raw).byteLength;
  if (bytes > limits.maxJsonBytes) {
    return violation("message_too_big", `JSON message of ${bytes} bytes exceeds the limit of ${limits.maxJsonBytes}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return violation("bad_json", `message is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return violation("bad_message", 'message must be a JSON object with a "type" field');
  }
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== "string") return violation("bad_message", 'message has no string "type" field');
  const parsed = ClientMessageSchema.safeParse(value);
  if (!parsed.success) {
    const known = ["session.start", "text", "control", "session.end"];
    if (!known.includes(type)) {
      return violation("bad_message", `unknown message type "${type.slice(0, 40)}" (expected ${known.join(", ")})`);
    }
    return violation("bad_message", `invalid ${type}: ${describeZodError(parsed.error)}`);
  }
  const message = parsed.data;
  if (message.type === "text" && message.text.length > limits.maxTextChars) {
    return violation(
      "text_too_long",
      `text of ${message.text.length} characters exceeds the limit of ${limits.maxTextChars}`,
    );
  }
  return { ok: true, value: message };
}

/** Checks one binary audio message (PCM s16le mono at `sampleRate`) and returns it as samples. */
export function parseClientAudio(
  data: Uint8Array,
  sampleRate: number,
  limits: ProtocolLimits,
): ParseResult<Int16Array> {
  const max = maxAudioBytes(sampleRate, limits);
  if (data.byteLength === 0) return violation("bad_audio", "empty audio message");
  if (data.byteLength % 2 !== 0) {
    return violation("bad_audio", `audio message of ${data.byteLength} bytes is not whole 16-bit samples`);
  }
  if (data.byteLength > max) {
    return violation(
      "bad_audio",
      `audio message of ${data.byteLength} bytes exceeds ${limits.maxAudioFrameMs} ms at ${sampleRate} Hz (${max} bytes)`,
    );
  }
  // Copy into an aligned buffer: the incoming view may start at an odd offset.
  const samples = new Int16Array(data.byteLength / 2);
  new Uint8Array(samples.buffer).set(data);
  return { ok: true, value: samples };
}

function violation(code: ErrorCode, message: string): ProtocolViolation {
  return { ok: false, code, message };
}
