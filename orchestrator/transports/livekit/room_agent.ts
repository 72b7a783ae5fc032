/**
 * The agent in one LiveKit room: joins as soon as the room is handed out, publishes the agent's audio track, waits
 * for the one user the room was minted for, frames that user's microphone and data packets onto the client protocol
 * engine ({@linkcode ClientProtocol}, the same rules as on WebSocket)
 * and leaves when the user leaves, the session closes, the user never comes, or the server shuts down.
 *
 * @module
 */
import type { AudioFrame, AudioSource, RemoteParticipant, RemoteTrack, Room } from "@livekit/rtc-node";
import { SPEECH_SAMPLE_RATE, WIRE_SAMPLE_RATE } from "../../../shared/audio/format.ts";
import { getLogger } from "../../../shared/log/mod.ts";
import type { SessionStart } from "../../../shared/protocol/client_messages.ts";
import { CloseCode, type ErrorCode, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import type { SessionAcceptor } from "../contract.ts";
import { type AgentLink, LiveKitAgentOutput } from "./agent_output.ts";
import { CLOSE_TOPIC, type CloseNotice, CONTROL_TOPIC, encodeJson } from "../../../shared/protocol/data_channel.ts";
import { loadRtc, type Rtc } from "./rtc.ts";
import { type LiveKitCredentials, mintAgentToken, type RoomTicket } from "./tokens.ts";
import { DataPublisher } from "./data_publisher.ts";
import { ClientProtocol } from "../client_protocol.ts";

/** How long the agent stays after its close notice reached the SFU, so the user receives it before the leave. */
const CLOSE_NOTICE_GRACE_MS = 300;

const log = getLogger("orchestrator", "livekit");

/** A room handed to a user, with what the session needs to start. */
export interface RoomInvite {
  ticket: RoomTicket;
  /** Non-secret id of the credential the room was minted for; sessions are counted per it. */
  principal: string;
  /** The session options the user asked for (`session.start` without the wire). */
  start: SessionStart;
}

/** Options of one room agent. */
export interface RoomAgentOptions {
  url: string;
  credentials: LiveKitCredentials;
  invite: RoomInvite;
  acceptor: SessionAcceptor;
  /** Called with the code of every error reported to the client (the errors-by-code metric). */
  onError?: (code: ErrorCode) => void;
  limits: ProtocolLimits;
  connectionId: string;
  userJoinTimeoutMs: number;
  connectTimeoutMs: number;
  /** Agent audio that may wait on the track before frames are dropped, in ms. */
  maxQueuedAudioMs: number;
  /** Called once after the agent has left the room. */
  onGone: (agent: RoomAgent) => void;
}

/** One room's agent. */
export class RoomAgent implements AgentLink {
  readonly connectionId: string;
  /** Resolves once the agent has left the room and released its resources. */
  readonly left: Promise<void>;
  #options: RoomAgentOptions;
  #rtc: Rtc;
  #room: Room;
  #source: AudioSource | null = null;
  #protocol: ClientProtocol | null = null;
  #output: LiveKitAgentOutput | null = null;
  #joinTimer: ReturnType<typeof setTimeout> | undefined;
  #audioReader: ReadableStreamDefaultReader<AudioFrame> | null = null;
  readonly #publisher: DataPublisher;
  #leaving = false;
  #resolveLeft: () => void;

  private constructor(options: RoomAgentOptions, rtc: Rtc) {
    this.#options = options;
    this.connectionId = options.connectionId;
    this.#rtc = rtc;
    this.#room = new rtc.Room();
    this.#publisher = new DataPublisher({
      participant: () => this.#room.isConnected ? this.#room.localParticipant : undefined,
      userIdentity: options.invite.ticket.userIdentity,
      onError: (error) => log.debug("data to {id} not sent: {error}", { id: this.connectionId, error }),
    });
    const { promise, resolve } = Promise.withResolvers<void>();
    this.left = promise;
    this.#resolveLeft = resolve;
  }

  /** Joins the invite's room and publishes the agent track; rejects (having cleaned up) when that fails. */
  static async join(options: RoomAgentOptions): Promise<RoomAgent> {
    const agent = new RoomAgent(options, await loadRtc());
    try {
      await agent.#connect();
    } catch (error) {
      agent.#leaving = true;
      await agent.#release();
      throw error;
    }
    return agent;
  }

  get connected(): boolean {
    return !this.#leaving && this.#room.isConnected;
  }

  /** True once the user is in and a session runs. */
  get hasSession(): boolean {
    return this.#protocol?.active ?? false;
  }

  publish(topic: string, payload: Uint8Array): void {
    this.#publisher.publish(topic, payload);
  }

  captureAudio(samples: Int16Array): boolean {
    const source = this.#source;
    if (!source || !this.connected || source.queuedDuration > this.#options.maxQueuedAudioMs) return false;
    const frame = new this.#rtc.AudioFrame(samples, WIRE_SAMPLE_RATE, 1, samples.length);
    source.captureFrame(frame).catch((error) =>
      log.debug("agent frame lost on {id}: {error}", { id: this.connectionId, error })
    );
    return true;
  }

  clearAudio(): void {
    try {
      this.#source?.clearQueue();
    } catch (error) {
      log.debug("clearing agent audio on {id} failed: {error}", { id: this.connectionId, error });
    }
  }

  leave(notice: CloseNotice): void {
    if (this.#leaving) return;
    // Whoever asked for the leave has ended the session or is the session itself: it is not told again.
    this.#protocol?.detach();
    this.publish(CLOSE_TOPIC, encodeJson(notice));
    this.#leaving = true;
    // The notice is ordered behind every event on the reliable channel; give it a moment to leave before hanging up.
    // A published packet has only reached the SFU: the user's copy travels on the data channel while our leave
    // travels on the signalling socket, so without a grace the user can see us gone before the notice arrives.
    const flushed = Promise.race([this.#publisher.flushed, new Promise((r) => setTimeout(r, 1_000))]);
    flushed.then(() => new Promise((r) => setTimeout(r, CLOSE_NOTICE_GRACE_MS))).then(() => this.#release());
  }

  /** Server shutdown: ends the session with `server_shutdown`, tells the user (1001) and leaves. */
  shutdown(): Promise<void> {
    this.#protocol?.end("server_shutdown");
    if (this.#output) this.#output.close(CloseCode.goingAway, "server shutdown");
    else this.leave({ code: CloseCode.goingAway, reason: "server shutdown" });
    return this.left;
  }

  async #connect(): Promise<void> {
    const { url, credentials, invite, connectTimeoutMs } = this.#options;
    const rtc = this.#rtc;
    const room = this.#room;
    room.on(rtc.RoomEvent.ParticipantConnected, (p) => this.#onParticipant(p));
    room.on(rtc.RoomEvent.ParticipantDisconnected, (p) => this.#onParticipantLeft(p));
    room.on(rtc.RoomEvent.TrackSubscribed, (track, _pub, p) => this.#onTrack(track, p));
    room.on(rtc.RoomEvent.DataReceived, (payload, p, _kind, topic) => {
      if (topic !== CONTROL_TOPIC) return;
      if (p && p.identity !== invite.ticket.userIdentity) return;
      this.#protocol?.jsonBytes(payload);
    });
    room.on(rtc.RoomEvent.Disconnected, () => {
      if (this.#leaving) return;
      log.warn("agent in {room} was disconnected by LiveKit", { room: invite.ticket.roomName });
      this.#protocol?.end("disconnected");
      this.#output?.markClosed();
      this.#leaving = true;
      this.#release();
    });
    const token = await mintAgentToken(credentials, invite.ticket.roomName);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no connection to LiveKit at ${url} within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
    });
    try {
      await Promise.race([room.connect(url, token, { autoSubscribe: true, dynacast: false }), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.#source = new rtc.AudioSource(WIRE_SAMPLE_RATE, 1, Math.max(1_000, this.#options.maxQueuedAudioMs * 2));
    const track = rtc.LocalAudioTrack.createAudioTrack("agent-voice", this.#source);
    await room.localParticipant!.publishTrack(
      track,
      new rtc.TrackPublishOptions({ source: rtc.TrackSource.SOURCE_MICROPHONE }),
    );
    this.#joinTimer = setTimeout(() => {
      if (this.#protocol) return;
      log.info("user of {room} did not join within {ms} ms", {
        room: invite.ticket.roomName,
        ms: this.#options.userJoinTimeoutMs,
      });
      this.leave({ code: CloseCode.startTimeout, reason: "start_timeout" });
    }, this.#options.userJoinTimeoutMs);
    // The user may have been quicker than the agent.
    const present = room.remoteParticipants.get(invite.ticket.userIdentity);
    if (present) {
      this.#onParticipant(present);
      for (const publication of present.trackPublications.values()) {
        if (publication.track) this.#onTrack(publication.track, present);
      }
    }
  }

  #onParticipant(participant: RemoteParticipant): void {
    const { invite, acceptor, limits } = this.#options;
    if (participant.identity !== invite.ticket.userIdentity) {
      log.warn("ignoring unexpected participant {who} in {room}", {
        who: participant.identity,
        room: invite.ticket.roomName,
      });
      return;
    }
    if (this.#protocol || this.#leaving) return;
    clearTimeout(this.#joinTimer);
    this.#output = new LiveKitAgentOutput(this.connectionId, this);
    this.#protocol = new ClientProtocol({
      transport: "livekit",
      principal: invite.principal,
      limits,
      acceptor,
      output: this.#output,
      log,
      onError: this.#options.onError,
      refuseStartMessage:
        "on LiveKit the session starts when you join the room; pass its options to POST /api/connection-details",
    });
    // Unless the invite declares a rate, LiveKit's audio stream delivers the rate the VAD and ASR work at, so no
    // resampling happens in TypeScript.
    const audio = { sampleRate: invite.start.audio?.sampleRate ?? SPEECH_SAMPLE_RATE, encoding: "pcm_s16le" as const };
    this.#protocol.start({ ...invite.start, audio });
  }

  #onParticipantLeft(participant: RemoteParticipant): void {
    if (participant.identity !== this.#options.invite.ticket.userIdentity || this.#leaving) return;
    this.#protocol?.end("disconnected");
    this.#output?.markClosed();
    this.#leaving = true;
    this.#release();
  }

  #onTrack(track: RemoteTrack, participant: RemoteParticipant): void {
    const rtc = this.#rtc;
    if (participant.identity !== this.#options.invite.ticket.userIdentity || track.kind !== rtc.TrackKind.KIND_AUDIO) {
      return;
    }
    // One microphone at a time: a new track (device switch) replaces the old one.
    this.#audioReader?.cancel().catch(() => {});
    const rate = this.#options.invite.start.audio?.sampleRate ?? SPEECH_SAMPLE_RATE;
    let reader: ReadableStreamDefaultReader<AudioFrame>;
    try {
      reader = new rtc.AudioStream(track, { sampleRate: rate, numChannels: 1, frameSizeMs: 20 }).getReader();
    } catch (error) {
      // The track can be gone by the time the event is handled (the user left at once).
      log.debug("no audio stream for {id}: {error}", { id: this.connectionId, error });
      return;
    }
    this.#audioReader = reader;
    (async () => {
      for (;;) {
        const { value: frame, done } = await reader.read();
        if (done || this.#leaving) break;
        if (frame.channels !== 1) continue;
        this.#protocol?.audio({ samples: frame.data, sampleRate: frame.sampleRate });
      }
    })().catch((error) => log.debug("audio of {id} ended: {error}", { id: this.connectionId, error }));
  }

  /** Disconnects and frees everything; runs once. */
  async #release(): Promise<void> {
    clearTimeout(this.#joinTimer);
    try {
      await this.#audioReader?.cancel();
    } catch { /* already closed */ }
    try {
      // A room the server already dropped can leave the SDK's disconnect waiting forever: bound it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#room.disconnect(), new Promise((r) => timer = setTimeout(r, 3_000))]);
      clearTimeout(timer);
    } catch (error) {
      log.debug("disconnect of {id} failed: {error}", { id: this.connectionId, error });
    }
    try {
      await this.#source?.close();
    } catch { /* already closed */ }
    this.#source = null;
    this.#options.onGone(this);
    this.#resolveLeft();
  }
}
