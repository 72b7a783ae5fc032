/// <reference lib="dom" />
/**
 * The voice protocol as the browser sees it: the server's JSON events and the client's messages are the same on
 * both transports (docs/protocol.md); only the framing differs (WebSocket text frames, or LiveKit data packets on
 * the topics below). Types come from the server's own schemas (type-only imports: nothing of zod is bundled).
 *
 * @module
 */
import type { ClientMessage } from "../../orchestrator/protocol/client_messages.ts";
import type { ServerEvent, TurnMetrics } from "../../orchestrator/protocol/server_events.ts";

export type { ClientMessage, ServerEvent, TurnMetrics };

/** LiveKit data topics (see orchestrator/transports/livekit/data_channel.ts). */
export const TOPIC = { events: "voice.events", control: "voice.control", close: "voice.close" } as const;

/** Sample rate of agent audio and of the page's audio graph. */
export const WIRE_RATE = 48_000;

/** The reply of `POST /api/connection-details`. */
export interface ConnectionDetails {
  transport: "livekit" | "websocket";
  /** Why LiveKit is not offered (when `transport` is `websocket`). */
  reason?: string;
  serverUrl?: string;
  roomName?: string;
  participantName?: string;
  participantToken?: string;
  websocket: { url: string; token: string | null };
}

/** How a connection ended: a WebSocket close code (or the LiveKit close notice's), and why. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Parses a server event from JSON text; null when it is not an object with a string `type`. */
export function parseServerEvent(text: string): ServerEvent | null {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && typeof value.type === "string" ? value as ServerEvent : null;
  } catch {
    return null;
  }
}

/** A readable sentence for a close code. */
export function describeClose(info: CloseInfo): string {
  const known: Record<number, string> = {
    1000: "Conversation ended.",
    1001: "The server is restarting. Please start again in a moment.",
    1006: "The connection was lost.",
    1008: "The server refused a message from this page.",
    1009: "A message was too large.",
    1011: "The server ran into a problem.",
    4001: "Not authorised. Reload the page.",
    4008: "The session did not start in time.",
    4029: "Too many conversations are open. Close one and try again.",
  };
  return known[info.code] ?? `Disconnected (${info.code}${info.reason ? `: ${info.reason}` : ""}).`;
}
