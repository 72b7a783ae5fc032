/**
 * LiveKit access tokens for the two sides of a voice room: the browser user (short-lived, one room, publish and
 * subscribe, no metadata changes) and the agent the orchestrator joins as. Both are HS256 JWTs signed with the LiveKit
 * API secret, so the LiveKit server enforces the grants; nothing here trusts the client.
 *
 * @module
 */
import { AccessToken, RoomConfiguration, TrackSource } from "livekit-server-sdk";

/** Lifetime of a user token: long enough to connect, short enough that a leaked one soon stops working. */
export const USER_TOKEN_TTL_SECONDS = 15 * 60;
/** Identity prefix of browser users; the agent only serves participants whose identity it minted. */
export const USER_IDENTITY_PREFIX = "user-";
/** Identity of the agent in every room. */
export const AGENT_IDENTITY = "voice-agent";
/** Room name prefix of voice rooms. */
export const ROOM_PREFIX = "voice-";

/** The LiveKit API credentials (`LIVEKIT_API_KEY` / `LIVEKIT_API_SECRET`). */
export interface LiveKitCredentials {
  apiKey: string;
  apiSecret: string;
}

/** A new room and the user who may join it. */
export interface RoomTicket {
  roomName: string;
  userIdentity: string;
}

/** Picks a fresh, unguessable room name and user identity. */
export function newRoomTicket(): RoomTicket {
  const id = crypto.randomUUID();
  return { roomName: `${ROOM_PREFIX}${id}`, userIdentity: `${USER_IDENTITY_PREFIX}${id.slice(0, 8)}` };
}

/** The user's token: joins exactly `roomName`, may publish (microphone) and data, may not change its metadata. */
export async function mintUserToken(
  credentials: LiveKitCredentials,
  ticket: RoomTicket,
  ttlSeconds: number = USER_TOKEN_TTL_SECONDS,
): Promise<string> {
  checkCredentials(credentials);
  const token = new AccessToken(credentials.apiKey, credentials.apiSecret, {
    identity: ticket.userIdentity,
    name: "You",
    ttl: ttlSeconds,
  });
  token.addGrant({
    roomJoin: true,
    room: ticket.roomName,
    canPublish: true,
    // The microphone only: no camera or screen share through the SFU (the agent would ignore it, the SFU not).
    canPublishSources: [TrackSource.MICROPHONE],
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
    roomCreate: false,
    roomList: false,
    roomAdmin: false,
  });
  return await token.toJwt();
}

/**
 * The agent's token for one room. The agent joins first and so creates the room: the room configuration here
 * (one user at most: LiveKit does not count agents; closed soon after it empties) is the one the room gets.
 */
export async function mintAgentToken(credentials: LiveKitCredentials, roomName: string): Promise<string> {
  checkCredentials(credentials);
  const token = new AccessToken(credentials.apiKey, credentials.apiSecret, {
    identity: AGENT_IDENTITY,
    name: "Agent",
    ttl: USER_TOKEN_TTL_SECONDS * 4,
  });
  token.kind = "agent";
  token.addGrant({
    roomJoin: true,
    room: roomName,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    agent: true,
  });
  token.roomConfig = new RoomConfiguration({ maxParticipants: 1, emptyTimeout: 30, departureTimeout: 5 });
  return await token.toJwt();
}

function checkCredentials(credentials: LiveKitCredentials): void {
  if (!credentials.apiKey || !credentials.apiSecret) {
    throw new Error("LiveKit credentials are incomplete: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET");
  }
}
