/// <reference lib="dom" />
/**
 * The LiveKit transport in the browser: joins the room from the connection details, publishes the microphone (with
 * the browser's echo cancellation), plays and meters the agent's track, and carries the protocol's JSON on the data
 * channel (`voice.events` in, `voice.control` out, `voice.close` for the close code). An event too large for one
 * data packet comes in parts on `voice.events.part`.
 *
 * @module
 */
import { ConnectionState, type RemoteTrack, Room, RoomEvent, Track } from "livekit-client";
import { type LinkContext, micConstraints, type VoiceLink, withTimeout } from "./link.ts";
import { PartAssembler, PARTS_TOPIC } from "../../shared/protocol/packet_parts.ts";
import { type ClientMessage, type ConnectionDetails, parseServerEvent, TOPIC } from "./protocol.ts";

/** Joins the room; rejects (having left again) when LiveKit cannot be reached within `timeoutMs`. */
export async function connectLiveKit(
  details: ConnectionDetails,
  context: LinkContext,
  timeoutMs: number,
): Promise<VoiceLink> {
  if (!details.serverUrl || !details.participantToken) throw new Error("the server offered no LiveKit room");
  const { callbacks, graph } = context;
  const room = new Room({ adaptiveStream: false, dynacast: false, disconnectOnPageLeave: true });
  const detach: Array<() => void> = [];
  const decoder = new TextDecoder();
  const parts = new PartAssembler();
  let closed = false;
  let closeNotice: { code: number; reason: string } | null = null;

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    for (const undo of detach.splice(0)) undo();
    callbacks.onClosed(closeNotice ?? { code, reason });
  };

  room.on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) => {
    if (topic === TOPIC.close) {
      try {
        closeNotice = JSON.parse(decoder.decode(payload));
      } catch { /* keep the default */ }
      return;
    }
    let bytes: Uint8Array | null = topic === TOPIC.events ? payload : null;
    if (topic === PARTS_TOPIC) {
      try {
        bytes = parts.accept(payload);
      } catch (error) {
        console.warn(`dropped a server event sent in parts: ${(error as Error).message}`);
      }
    }
    const event = bytes ? parseServerEvent(decoder.decode(bytes)) : null;
    if (event) callbacks.onEvent(event);
  });

  room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
    if (track.kind !== Track.Kind.Audio) return;
    const element = track.attach();
    element.dataset.role = "agent-audio";
    element.hidden = true;
    document.body.append(element);
    const stopMeter = graph.meterTrack(track.mediaStreamTrack, context.agentLevels);
    detach.push(() => {
      stopMeter();
      track.detach().forEach((e) => e.remove());
    });
  });
  room.on(RoomEvent.ConnectionStateChanged, (state) => {
    if (state === ConnectionState.Reconnecting || state === ConnectionState.SignalReconnecting) {
      callbacks.onState("reconnecting");
    } else if (state === ConnectionState.Connected) callbacks.onState("connected");
  });
  room.on(RoomEvent.ParticipantDisconnected, (participant) => {
    // The agent leaving ends the conversation; the close notice (sent just before) says why.
    if (participant.isAgent || participant.identity === "voice-agent") void room.disconnect();
  });
  room.on(RoomEvent.Disconnected, () => finish(1006, "disconnected"));

  let stopMicMeter: (() => void) | null = null;
  /** (Re)attaches the level meter to the published microphone track. */
  const meterMicrophone = () => {
    stopMicMeter?.();
    const track = room.localParticipant.getTrackPublication(Track.Source.Microphone)?.track?.mediaStreamTrack;
    stopMicMeter = track ? graph.meterTrack(track, context.micLevels) : null;
  };
  detach.push(() => stopMicMeter?.());

  callbacks.onState("connecting");
  try {
    await withTimeout(
      room.connect(details.serverUrl, details.participantToken, { autoSubscribe: true }),
      timeoutMs,
      `LiveKit at ${details.serverUrl} did not answer within ${Math.round(timeoutMs / 1000)} s`,
    );
    await room.startAudio().catch(() => {});
    await room.localParticipant.setMicrophoneEnabled(true, micConstraints(context.deviceId));
    meterMicrophone();
  } catch (error) {
    closed = true;
    for (const undo of detach.splice(0)) undo();
    await room.disconnect().catch(() => {});
    throw error;
  }
  callbacks.onState("connected");

  return {
    kind: "livekit",
    send(message: ClientMessage) {
      const payload = new TextEncoder().encode(JSON.stringify(message));
      room.localParticipant.publishData(payload, { reliable: true, topic: TOPIC.control }).catch(() => {});
    },
    async switchMicrophone(deviceId: string) {
      await room.switchActiveDevice("audioinput", deviceId);
      meterMicrophone();
    },
    async close() {
      await room.disconnect().catch(() => {});
      finish(1000, "left");
    },
  };
}
