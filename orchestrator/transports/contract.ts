/**
 * The transport contract: frames and events in, frames and events out, for one session. A transport (WebSocket,
 * LiveKit) authenticates a user, turns its wire messages into {@linkcode SessionInput} calls and implements
 * {@linkcode AgentOutput} for the session to talk back. Sessions never see the wire; transports never see the turn
 * logic. Every transport passes the shared suite in `tests/orchestrator/transports/contract_suite.ts`.
 *
 * @module
 */
import type { ControlAction, SessionStart } from "../../shared/protocol/client_messages.ts";
import type { ErrorCode } from "../../shared/protocol/limits.ts";
import type { ServerEvent } from "../../shared/protocol/server_events.ts";

/** One chunk of user microphone audio: PCM s16 mono at `sampleRate`, any length up to the protocol limit. */
export interface UserAudioFrame {
  samples: Int16Array;
  sampleRate: number;
}

/** What a session receives from its transport. Calls arrive in wire order and never concurrently. */
export interface SessionInput {
  audio(frame: UserAudioFrame): void;
  /** Typed user input. */
  text(text: string): void;
  control(action: ControlAction): void;
  /** The client ended the session or went away; the session releases everything. Called once. */
  end(reason: "client_end" | "disconnected" | "server_shutdown" | "violation"): void;
}

/** What a session sends through its transport. */
export interface AgentOutput {
  /** Transport-unique id of the connection (for logs). */
  readonly connectionId: string;
  /** False once the connection is closed; sends are then ignored. */
  readonly open: boolean;
  /**
   * Sends one agent frame (PCM s16le mono 48 kHz, 1920 bytes). Returns false when it was not sent (closed, or the
   * client does not read and its buffer is full: real-time audio is dropped rather than queued without bound).
   */
  sendAudio(frame: Uint8Array): boolean;
  /**
   * Drops agent audio already handed over but not yet played, where the carrier can (LiveKit's track queue). The
   * session calls it when it stops a response; a client that buffers on its side drops its buffer on
   * `response.interrupted`.
   */
  clearAudio(): void;
  sendEvent(event: ServerEvent): void;
  /** Sends an `error` event and, when `fatal`, closes the connection with `closeCode`. */
  fail(code: ErrorCode, message: string, options?: { fatal?: boolean; closeCode?: number }): void;
  /** Closes the connection; `SessionInput.end` is not called for a close the session asked for. */
  close(code: number, reason: string): void;
}

/** Who opened a session and how, as established by the transport. */
export interface SessionRequest {
  /** Stable, non-secret id of the credential (API key fingerprint or token subject); sessions are counted per it. */
  principal: string;
  transport: "websocket" | "livekit";
  /** The client's `session.start` (or the equivalent a transport derives, e.g. from participant metadata). */
  start: SessionStart;
}

/** A session refused at start; the transport sends the error event and closes with `closeCode`. */
export class SessionRejectedError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly closeCode: number) {
    super(message);
    this.name = "SessionRejectedError";
  }
}

/**
 * Creates the session for an accepted request, shared by all transports (so limits such as sessions per key hold
 * across them). Throws {@linkcode SessionRejectedError} to refuse.
 */
export type SessionAcceptor = (request: SessionRequest, output: AgentOutput) => SessionInput;

/** A running transport: its connections, and a way to end them all. */
export interface TransportServer {
  readonly name: string;
  /** Open connections (authenticated or not). */
  connectionCount(): number;
  /** Closes every connection with 1001 (sessions get `end("server_shutdown")`) and stops listening. */
  close(): Promise<void>;
}
