/**
 * One WebSocket client connection: enforces the protocol (start first, limits, budgets), hands valid input to its
 * session and implements {@linkcode AgentOutput} for it. Every violation becomes an `error` event plus a close code;
 * nothing a client sends can throw out of here.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import type { SessionStart } from "../../../shared/protocol/client_messages.ts";
import { CloseCode, type ErrorCode, maxAudioBytes, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import { parseClientAudio, parseClientJson } from "../../../shared/protocol/parse.ts";
import type { ServerEvent } from "../../../shared/protocol/server_events.ts";
import {
  type AgentOutput,
  type SessionAcceptor,
  type SessionInput,
  SessionRejectedError,
  type UserAudioFrame,
} from "../contract.ts";
import { endSessionSafely } from "../session_end.ts";
import { TokenBucket } from "./budget.ts";

const log = getLogger("orchestrator", "ws");

/** Bytes queued to a client beyond which agent frames are dropped (about 2.7 s of audio). */
const MAX_BUFFERED_BYTES = 256 * 1024;

/** Result of authentication, decided before the upgrade. */
export type ConnectionAuth = { ok: true; principal: string } | { ok: false; code: ErrorCode; message: string };

/** Options of one connection. */
export interface ConnectionOptions {
  id: string;
  auth: ConnectionAuth;
  limits: ProtocolLimits;
  acceptor: SessionAcceptor;
  /** Called once when the socket is closed, whoever closed it. */
  onClosed: (connection: WebSocketConnection) => void;
  /** Refuse at open (e.g. the server is full) with this error. */
  refuse?: { code: ErrorCode; message: string; closeCode: number };
}

/** A WebSocket connection carrying one session. */
export class WebSocketConnection implements AgentOutput {
  readonly connectionId: string;
  #socket: WebSocket;
  #options: ConnectionOptions;
  #session: SessionInput | null = null;
  #inputRate = 16_000;
  #closing = false;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #jsonBudget: TokenBucket;
  #audioBudget: TokenBucket;
  /** Agent frames dropped because the client did not read them. */
  droppedFrames = 0;

  constructor(socket: WebSocket, options: ConnectionOptions) {
    this.connectionId = options.id;
    this.#socket = socket;
    this.#options = options;
    const { limits } = options;
    this.#jsonBudget = new TokenBucket(limits.jsonBurst, limits.jsonPerSecond / 1000);
    this.#audioBudget = new TokenBucket(limits.audioBurstMs, 1);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => this.#onOpen();
    socket.onmessage = (event) => this.#onMessage(event.data);
    socket.onclose = () => this.#onClose();
    socket.onerror = () => {/* followed by onclose */};
  }

  /** True while the socket is open and not closing. */
  get open(): boolean {
    return !this.#closing && this.#socket.readyState === WebSocket.OPEN;
  }

  /** True once a session was accepted on this connection. */
  get hasSession(): boolean {
    return this.#session !== null;
  }

  sendAudio(frame: Uint8Array): boolean {
    if (!this.open) return false;
    if (this.#socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.droppedFrames++;
      return false;
    }
    this.#socket.send(frame as Uint8Array<ArrayBuffer>);
    return true;
  }

  sendEvent(event: ServerEvent): void {
    if (this.open) this.#socket.send(JSON.stringify(event));
  }

  fail(code: ErrorCode, message: string, options: { fatal?: boolean; closeCode?: number } = {}): void {
    const fatal = options.fatal ?? true;
    this.sendEvent({ type: "error", code, message, fatal });
    if (fatal) this.close(options.closeCode ?? CloseCode.policyViolation, code);
  }

  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#startTimer);
    // The session asked for this close (or was already ended): it is not told again.
    this.#session = null;
    try {
      this.#socket.close(code, reason.slice(0, 120));
    } catch { /* already closed */ }
  }

  /** Ends the session (if any) and closes with `code`: used by the server on shutdown. */
  shutdown(code: number, reason: string): void {
    this.#endSession("server_shutdown");
    this.close(code, reason);
  }

  #onOpen(): void {
    const { auth, refuse } = this.#options;
    if (!auth.ok) return this.fail(auth.code, auth.message, { closeCode: CloseCode.unauthorized });
    if (refuse) return this.fail(refuse.code, refuse.message, { closeCode: refuse.closeCode });
    this.#startTimer = setTimeout(() => {
      if (!this.#session) {
        this.fail("start_timeout", `no session.start within ${this.#options.limits.startTimeoutMs} ms`, {
          closeCode: CloseCode.startTimeout,
        });
      }
    }, this.#options.limits.startTimeoutMs);
  }

  #onMessage(data: unknown): void {
    if (this.#closing || !this.#options.auth.ok) return;
    try {
      if (typeof data === "string") this.#onJson(data);
      else if (data instanceof ArrayBuffer) this.#onAudio(new Uint8Array(data));
      else this.#violation("bad_message", "unsupported message kind");
    } catch (error) {
      log.error("connection {id} failed handling a message: {error}", { id: this.connectionId, error });
      this.#endSession("violation");
      this.fail("internal", "the server failed handling this message", { closeCode: CloseCode.internalError });
    }
  }

  #onJson(raw: string): void {
    if (!this.#jsonBudget.take(1)) {
      return this.#violation("flood", `more than ${this.#options.limits.jsonPerSecond} JSON messages per second`);
    }
    const parsed = parseClientJson(raw, this.#options.limits);
    if (!parsed.ok) {
      const closeCode = parsed.code === "message_too_big" ? CloseCode.messageTooBig : CloseCode.policyViolation;
      return this.#violation(parsed.code, parsed.message, closeCode);
    }
    const message = parsed.value;
    if (message.type === "session.start") return this.#start(message);
    if (message.type === "session.end") {
      this.#endSession("client_end");
      return this.close(CloseCode.normal, "session.end");
    }
    const session = this.#session;
    if (!session) return this.#violation("bad_message", `${message.type} before session.start`);
    if (message.type === "text") session.text(message.text);
    else session.control(message.action);
  }

  #onAudio(bytes: Uint8Array): void {
    if (!this.#session) return this.#violation("audio_before_start", "audio before session.start");
    const limits = this.#options.limits;
    if (bytes.byteLength > maxAudioBytes(this.#inputRate, limits)) {
      const parsed = parseClientAudio(bytes, this.#inputRate, limits);
      return this.#violation("bad_audio", parsed.ok ? "audio too long" : parsed.message, CloseCode.messageTooBig);
    }
    const parsed = parseClientAudio(bytes, this.#inputRate, limits);
    if (!parsed.ok) return this.#violation(parsed.code, parsed.message);
    const durationMs = (parsed.value.length * 1000) / this.#inputRate;
    if (!this.#audioBudget.take(durationMs)) {
      return this.#violation(
        "flood",
        `audio is arriving faster than real time (more than ${limits.audioBurstMs} ms ahead)`,
      );
    }
    const frame: UserAudioFrame = { samples: parsed.value, sampleRate: this.#inputRate };
    this.#session.audio(frame);
  }

  #start(start: SessionStart): void {
    const auth = this.#options.auth;
    if (!auth.ok) return;
    if (this.#session) return this.#violation("duplicate_start", "session.start sent twice");
    this.#inputRate = start.audio?.sampleRate ?? 16_000;
    try {
      this.#session = this.#options.acceptor({ principal: auth.principal, transport: "websocket", start }, this);
      clearTimeout(this.#startTimer);
    } catch (error) {
      if (error instanceof SessionRejectedError) {
        return this.fail(error.code, error.message, { closeCode: error.closeCode });
      }
      throw error;
    }
  }

  #violation(code: ErrorCode, message: string, closeCode: number = CloseCode.policyViolation): void {
    log.info("connection {id} violation {code}: {message}", { id: this.connectionId, code, message });
    this.#endSession("violation");
    this.fail(code, message, { closeCode });
  }

  #endSession(reason: Parameters<SessionInput["end"]>[0]): void {
    const session = this.#session;
    if (!session) return;
    this.#session = null;
    endSessionSafely(session, reason, this.connectionId, log);
  }

  #onClose(): void {
    this.#closing = true;
    clearTimeout(this.#startTimer);
    this.#endSession("disconnected");
    this.#options.onClosed(this);
  }
}
