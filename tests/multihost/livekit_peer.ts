/**
 * A bare LiveKit participant for the multi-node tests (`@livekit/rtc-node`, a real WebRTC client): joins a room
 * through one node, sends numbered data packets through the SFU and records the ones it receives, so a test can
 * prove two participants entering through different nodes share one room and one media path.
 *
 * @module
 */
import { AccessToken } from "livekit-server-sdk";
import type { Room } from "@livekit/rtc-node";
import { loadRtc } from "../../orchestrator/transports/livekit/rtc.ts";
import { LIVEKIT_KEY, LIVEKIT_SECRET } from "./cluster.ts";

const TOPIC = "multihost.ping";

/** Mints a join token for `identity` in `room` with the cluster's keys. */
export async function joinToken(room: string, identity: string): Promise<string> {
  const token = new AccessToken(LIVEKIT_KEY, LIVEKIT_SECRET, { identity, ttl: 600 });
  token.addGrant({ room, roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true });
  return await token.toJwt();
}

/** One joined participant. */
export class LiveKitPeer {
  /** Packets received: sender identity, text, arrival time. */
  readonly received: Array<{ from: string; text: string; atMs: number }> = [];
  /** When the SDK first lost its signalling connection (it then tries to resume on the same node). */
  reconnectingAtMs: number | null = null;
  disconnectedAtMs: number | null = null;

  private constructor(readonly identity: string, readonly url: string, readonly room: Room) {}

  /** Joins `room` through the node at `url`. */
  static async join(url: string, room: string, identity: string): Promise<LiveKitPeer> {
    const rtc = await loadRtc();
    const peer = new LiveKitPeer(identity, url, new rtc.Room());
    peer.room.on(rtc.RoomEvent.DataReceived, (payload, participant, _kind, topic) => {
      if (topic !== TOPIC) return;
      peer.received.push({
        from: participant?.identity ?? "?",
        text: new TextDecoder().decode(payload),
        atMs: performance.now(),
      });
    });
    peer.room.on(rtc.RoomEvent.Reconnecting, () => peer.reconnectingAtMs ??= performance.now());
    peer.room.on(rtc.RoomEvent.Disconnected, () => peer.disconnectedAtMs ??= performance.now());
    await peer.room.connect(url, await joinToken(room, identity), { autoSubscribe: true, dynacast: false });
    return peer;
  }

  /** Identities of the other participants this peer sees. */
  remoteIdentities(): string[] {
    return [...this.room.remoteParticipants.values()].map((p) => p.identity).sort();
  }

  /** Sends one reliable data packet to the room. */
  async send(text: string): Promise<void> {
    await this.room.localParticipant!.publishData(new TextEncoder().encode(text), { reliable: true, topic: TOPIC });
  }

  /** Leaves (bounded: a node that is gone must not hang the test). */
  async leave(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.room.disconnect().catch(() => {}),
      new Promise((r) => timer = setTimeout(r, 3_000)),
    ]);
    clearTimeout(timer);
  }
}

/** Leaves with a LiveKit test user, bounded: its audio readers can outlive a room whose agent is gone. */
export async function leaveBounded(user: { disconnect(): Promise<void> }, ms = 5_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([user.disconnect().catch(() => {}), new Promise((r) => timer = setTimeout(r, ms))]);
  clearTimeout(timer);
}
