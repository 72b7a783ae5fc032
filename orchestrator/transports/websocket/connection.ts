/**
 * One WebSocket client connection: frames the socket onto the {@linkcode ClientProtocol} engine (text messages are
 * JSON, binary messages are audio) and implements {@linkcode AgentOutput} over the socket.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import { CloseCode, type ErrorCode, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import type { ServerEvent } from "../../../shared/protocol/server_events.ts";
import { ClientProtocol, type EndReason } from "../client_protocol.ts";
import type { AgentOutput, SessionAcceptor } from "../contract.ts";

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
  /** Called with the code of every error reported to the client (the errors-by-code metric). */
  onError?: (code: ErrorCode) => void;
}

/** A WebSocket connection carrying one session. */
export class WebSocketConnection implements AgentOutput {
  readonly connectionId: string;
  #socket: WebSocket;
  #options: ConnectionOptions;
  #protocol: ClientProtocol | null = null;
  #closing = false;

  constructor(socket: WebSocket, options: ConnectionOptions) {
    this.connectionId = options.id;
    this.#socket = socket;
    this.#options = options;
    const { auth } = options;
    if (auth.ok) {
      this.#protocol = new ClientProtocol({
        transport: "websocket",
        principal: auth.principal,
        limits: options.limits,
        acceptor: options.acceptor,
        output: this,
        log,
        onError: options.onError,
      });
    }
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
    return this.#protocol?.active ?? false;
  }

  sendAudio(frame: Uint8Array): boolean {
    if (!this.open || this.#socket.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    this.#socket.send(frame as Uint8Array<ArrayBuffer>);
    return true;
  }

  /** Frames already handed to the socket are the client's to drop: it does so on `response.interrupted`. */
  clearAudio(): void {}

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
    // The session asked for this close (or was already ended): it is not told again.
    this.#protocol?.detach();
    try {
      this.#socket.close(code, reason.slice(0, 120));
    } catch { /* already closed */ }
  }

  /** Ends the session (if any) and closes with `code`: used by the server on shutdown. */
  shutdown(code: number, reason: string): void {
    this.#end("server_shutdown");
    this.close(code, reason);
  }

  #onOpen(): void {
    const { auth, refuse, onError } = this.#options;
    if (!auth.ok) {
      onError?.(auth.code);
      return this.fail(auth.code, auth.message, { closeCode: CloseCode.unauthorized });
    }
    if (refuse) {
      onError?.(refuse.code);
      return this.fail(refuse.code, refuse.message, { closeCode: refuse.closeCode });
    }
    this.#protocol?.armStartTimeout();
  }

  #onMessage(data: unknown): void {
    const protocol = this.#protocol;
    if (this.#closing || !protocol) return;
    if (typeof data === "string") protocol.json(data);
    else if (data instanceof ArrayBuffer) protocol.audioBytes(new Uint8Array(data));
    else protocol.unsupported("unsupported message kind");
  }

  #end(reason: EndReason): void {
    this.#protocol?.end(reason);
  }

  #onClose(): void {
    this.#closing = true;
    this.#end("disconnected");
    this.#options.onClosed(this);
  }
}
