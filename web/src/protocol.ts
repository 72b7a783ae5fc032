/// <reference lib="dom" />
/**
 * The voice protocol as the browser sees it: the server's JSON events and the client's messages are the same on
 * both transports (docs/protocol.md); only the framing differs (WebSocket text frames, or LiveKit data packets on
 * the topics below). Everything here comes from `shared/protocol/`, the server's own vocabulary (the zod schemas are
 * imported as types only: nothing of zod is bundled).
 *
 * @module
 */
import type { ClientMessage } from "../../shared/protocol/client_messages.ts";
import type { ServerEvent, TurnMetrics } from "../../shared/protocol/server_events.ts";
import type { ConnectionDetails } from "../../shared/protocol/connection_details.ts";
import { CloseCode } from "../../shared/protocol/limits.ts";
import { CLOSE_TOPIC, CONTROL_TOPIC, EVENTS_TOPIC } from "../../shared/protocol/data_channel.ts";
import { WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";

export type { ClientMessage, ConnectionDetails, ServerEvent, TurnMetrics };

/** LiveKit data topics. */
export const TOPIC = { events: EVENTS_TOPIC, control: CONTROL_TOPIC, close: CLOSE_TOPIC } as const;

/** Sample rate of agent audio and of the page's audio graph. */
export const WIRE_RATE = WIRE_SAMPLE_RATE;

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
    [CloseCode.normal]: "Conversation ended.",
    [CloseCode.goingAway]: "The server is restarting. Please start again in a moment.",
    1006: "The connection was lost.", // set by the browser, never sent by the server
    [CloseCode.policyViolation]: "The server refused a message from this page.",
    [CloseCode.messageTooBig]: "A message was too large.",
    [CloseCode.internalError]: "The server ran into a problem.",
    [CloseCode.unauthorized]: "Not authorised. Reload the page.",
    [CloseCode.startTimeout]: "The session did not start in time.",
    [CloseCode.tooManySessions]: "Too many conversations are open. Close one and try again.",
  };
  return known[info.code] ?? `Disconnected (${info.code}${info.reason ? `: ${info.reason}` : ""}).`;
}
