/**
 * The reply of `POST /api/connection-details`: how a browser reaches its agent. The server builds it
 * (`orchestrator/http/connection_details.ts`) and the page reads it (`web/src/voice_client.ts`).
 *
 * @module
 */

/** The reply of `POST /api/connection-details`. */
export interface ConnectionDetails {
  transport: "livekit" | "websocket";
  /** Why LiveKit is not offered (when `transport` is `websocket`). */
  reason?: string;
  /** LiveKit's URL as the browser reaches it (when `transport` is `livekit`). */
  serverUrl?: string;
  roomName?: string;
  participantName?: string;
  participantToken?: string;
  /** When the participant token expires (ISO 8601). */
  expiresAt?: string;
  /** The WebSocket fallback, always offered; `token` is null when the server needs none. */
  websocket: { url: string; token: string | null };
}
