/// <reference lib="dom" />
/**
 * What the page needs from a transport, whichever it is: send protocol messages, switch the microphone, close; and
 * what a transport reports back: server events, connection changes, and how it ended.
 *
 * @module
 */
import type { AudioGraph, LevelTimeline } from "./audio_graph.ts";
import type { ClientMessage, CloseInfo, ServerEvent } from "./protocol.ts";

/** Connection states shown to the user. */
export type LinkState = "connecting" | "connected" | "reconnecting";

/** Reports from a transport. */
export interface LinkCallbacks {
  onEvent(event: ServerEvent): void;
  onState(state: LinkState): void;
  /** Called once, when the connection is gone for good. */
  onClosed(info: CloseInfo): void;
}

/** What a transport is given. */
export interface LinkContext {
  graph: AudioGraph;
  micLevels: LevelTimeline;
  agentLevels: LevelTimeline;
  /** Microphone to open; empty: the default one. */
  deviceId: string;
  callbacks: LinkCallbacks;
}

/** A connected transport. */
export interface VoiceLink {
  readonly kind: "livekit" | "websocket";
  send(message: ClientMessage): void;
  switchMicrophone(deviceId: string): Promise<void>;
  /** Leaves without telling the server anything more (send `session.end` first for a clean end). */
  close(): Promise<void>;
}

/** Microphone constraints: the browser's echo cancellation keeps the agent from interrupting itself. */
export function micConstraints(deviceId: string): {
  deviceId?: ConstrainDOMString;
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
  channelCount: number;
} {
  return {
    deviceId: deviceId ? { exact: deviceId } : undefined,
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
    channelCount: 1,
  };
}

/** Rejects after `ms` with `message` unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(message)), ms));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
