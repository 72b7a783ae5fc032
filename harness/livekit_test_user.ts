/**
 * A LiveKit user for tests, built on `@livekit/rtc-node` (a real WebRTC participant, as a browser would be): joins
 * with a user token, publishes a microphone track fed from test samples, records the agent's audio track and the
 * events, and reads the close notice.
 *
 * @module
 */
import type { AudioSource, Room } from "@livekit/rtc-node";
import type { ClientMessage } from "../shared/protocol/client_messages.ts";
import { type ServerEvent, ServerEventSchema, type ServerEventType } from "../shared/protocol/server_events.ts";
import {
  CLOSE_TOPIC,
  CONTROL_TOPIC,
  encodeJson,
  EVENTS_TOPIC,
  parseCloseNotice,
} from "../shared/protocol/data_channel.ts";
import { PartAssembler, PARTS_TOPIC } from "../shared/protocol/packet_parts.ts";
import { loadRtc, type Rtc } from "../orchestrator/transports/livekit/rtc.ts";

/** An event with its arrival time. */
export type TimedEvent = ServerEvent & { receivedAtMs: number };

/** A chunk of agent audio as received (48 kHz mono). */
export interface ReceivedAudio {
  samples: Int16Array;
  atMs: number;
}

/** A joined test user. */
export class LiveKitTestUser {
  readonly events: TimedEvent[] = [];
  readonly audio: ReceivedAudio[] = [];
  readonly invalid: string[] = [];
  /** Resolves with the close notice's code, or 1006 when the agent left without one. */
  readonly closed: Promise<{ code: number; reason: string }>;
  #rtc: Rtc;
  #room: Room;
  #mic: AudioSource | null = null;
  #pending = new Int16Array(0);
  #resolveClosed!: (value: { code: number; reason: string }) => void;
  #readers: Promise<void>[] = [];
  #parts = new PartAssembler();

  private constructor(rtc: Rtc) {
    this.#rtc = rtc;
    this.#room = new rtc.Room();
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /** Joins `url` with `token`, publishing a microphone track at `micRate` unless it is 0. */
  static async join(url: string, token: string, micRate = 48_000): Promise<LiveKitTestUser> {
    const rtc = await loadRtc();
    const user = new LiveKitTestUser(rtc);
    const room = user.#room;
    room.on(rtc.RoomEvent.DataReceived, (payload, _p, _kind, topic) => user.#onData(payload, topic));
    room.on(rtc.RoomEvent.TrackSubscribed, (track) => {
      if (track.kind !== rtc.TrackKind.KIND_AUDIO) return;
      const stream = new rtc.AudioStream(track, { sampleRate: 48_000, numChannels: 1 });
      user.#readers.push(
        (async () => {
          for await (const frame of stream) user.audio.push({ samples: frame.data, atMs: performance.now() });
        })().catch(() => {}),
      );
    });
    room.on(rtc.RoomEvent.ParticipantDisconnected, () => user.#resolveClosed({ code: 1006, reason: "agent left" }));
    room.on(rtc.RoomEvent.Disconnected, () => user.#resolveClosed({ code: 1006, reason: "disconnected" }));
    await room.connect(url, token, { autoSubscribe: true, dynacast: false });
    if (micRate > 0) {
      user.#mic = new rtc.AudioSource(micRate, 1, 1_000);
      const track = rtc.LocalAudioTrack.createAudioTrack("microphone", user.#mic);
      await room.localParticipant!.publishTrack(
        track,
        new rtc.TrackPublishOptions({ source: rtc.TrackSource.SOURCE_MICROPHONE }),
      );
    }
    return user;
  }

  /** Identity given by the token. */
  get identity(): string {
    return this.#room.localParticipant?.identity ?? "";
  }

  /** Plays samples into the microphone track in 10 ms frames, in real time (the source paces them). */
  async speak(samples: Int16Array): Promise<void> {
    const mic = this.#mic;
    if (!mic) throw new Error("this user has no microphone track");
    const step = mic.sampleRate / 100;
    const all = new Int16Array(this.#pending.length + samples.length);
    all.set(this.#pending);
    all.set(samples, this.#pending.length);
    let offset = 0;
    for (; offset + step <= all.length; offset += step) {
      const chunk = all.slice(offset, offset + step);
      await mic.captureFrame(new this.#rtc.AudioFrame(chunk, mic.sampleRate, 1, step));
    }
    this.#pending = all.slice(offset);
  }

  /** Sends one client message on the control topic (or raw bytes, for hostile tests). */
  async send(message: ClientMessage | Uint8Array): Promise<void> {
    const payload = message instanceof Uint8Array ? message : encodeJson(message);
    await this.#room.localParticipant!.publishData(payload, { reliable: true, topic: CONTROL_TOPIC });
  }

  /** Publishes raw bytes on any topic, reliable or lossy (hostile tests: wrong topics, parts, floods). */
  async sendRaw(payload: Uint8Array, topic: string, reliable = true): Promise<void> {
    await this.#room.localParticipant!.publishData(payload, { reliable, topic });
  }

  /** Waits for the first event (received or future) that matches; rejects on timeout or close. */
  async waitForEvent(match: ServerEventType | ((e: TimedEvent) => boolean), timeoutMs = 15_000): Promise<TimedEvent> {
    const test = typeof match === "string" ? (e: TimedEvent) => e.type === match : match;
    const deadline = performance.now() + timeoutMs;
    let closed = false;
    this.closed.then(() => closed = true);
    for (;;) {
      const found = this.events.find(test);
      if (found) return found;
      if (closed) throw new Error(`closed before the expected event (${String(match)})`);
      if (performance.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms (${String(match)})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** All agent audio received so far, as one buffer. */
  agentSamples(): Int16Array {
    const total = this.audio.reduce((n, a) => n + a.samples.length, 0);
    const out = new Int16Array(total);
    let offset = 0;
    for (const a of this.audio) {
      out.set(a.samples, offset);
      offset += a.samples.length;
    }
    return out;
  }

  /** Leaves the room (without ending the session first) and frees the native objects. */
  async disconnect(): Promise<void> {
    // A connection the server replaced (same identity joined again) can leave the SDK waiting forever: bound it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#room.disconnect(), new Promise((r) => timer = setTimeout(r, 3_000))]);
    clearTimeout(timer);
    await this.#mic?.close();
    this.#mic = null;
    await Promise.all(this.#readers);
    this.#resolveClosed({ code: 1006, reason: "left" });
  }

  #onData(payload: Uint8Array, topic?: string): void {
    if (topic === CLOSE_TOPIC) {
      const notice = parseCloseNotice(payload);
      if (notice) this.#resolveClosed(notice);
      return;
    }
    if (topic === EVENTS_TOPIC) this.#onEventText(new TextDecoder().decode(payload));
    if (topic === PARTS_TOPIC) {
      try {
        const whole = this.#parts.accept(payload);
        if (whole) this.#onEventText(new TextDecoder().decode(whole));
      } catch (error) {
        this.invalid.push((error as Error).message);
      }
    }
  }

  #onEventText(text: string): void {
    let parsed;
    try {
      parsed = ServerEventSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.invalid.push(text.slice(0, 200));
      return;
    }
    this.events.push({ ...parsed.data, receivedAtMs: performance.now() } as TimedEvent);
  }
}
