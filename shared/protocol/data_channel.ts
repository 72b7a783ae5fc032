/**
 * What travels on the LiveKit data channel of a voice room. The JSON is the WebSocket protocol's own
 * (docs/protocol.md), so clients share one event handler for both transports; only the framing differs:
 *
 * - topic `voice.events` (agent → user, reliable): one server event (`ServerEvent`) per packet;
 * - topic `voice.events.part` (agent → user, reliable): an event above {@linkcode MAX_PACKET_BYTES} (LiveKit drops
 *   larger reliable packets), split into parts that arrive in order with the packets around it (`packet_parts.ts`);
 * - topic `voice.control` (user → agent, reliable): one client message (`text`, `control`, `session.end`);
 *   the session itself starts when the user joins, with the options given to `POST /api/connection-details`;
 * - topic `voice.close` (agent → user, reliable): `{"code": number, "reason": string}` right before the agent
 *   leaves, carrying the WebSocket close code the same situation would have produced (1000, 1001, 1008, 4029…).
 *
 * @module
 */

/** Topic of server events. */
export const EVENTS_TOPIC = "voice.events";
/** Topic of client messages. */
export const CONTROL_TOPIC = "voice.control";
/** Topic of the close notice. */
export const CLOSE_TOPIC = "voice.close";

/** The largest data packet sent as one packet; LiveKit's SFU drops reliable packets above about 15 KiB. */
export const MAX_PACKET_BYTES = 14 * 1024;

/** The close notice the agent sends before leaving a room. */
export interface CloseNotice {
  code: number;
  reason: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a JSON value for `publishData`. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Decodes a data packet as UTF-8 text, or returns null for bytes that are not valid UTF-8. */
export function decodeText(payload: Uint8Array): string | null {
  try {
    return decoder.decode(payload);
  } catch {
    return null;
  }
}

/** Parses a close notice, or returns null when the packet is not one. */
export function parseCloseNotice(payload: Uint8Array): CloseNotice | null {
  const text = decodeText(payload);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<CloseNotice>;
    if (typeof value.code !== "number" || !Number.isInteger(value.code)) return null;
    return { code: value.code, reason: typeof value.reason === "string" ? value.reason : "" };
  } catch {
    return null;
  }
}
