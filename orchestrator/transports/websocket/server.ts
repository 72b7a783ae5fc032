/**
 * The WebSocket transport: authenticates each upgrade the public port hands it (`orchestrator/http/public_server.ts`
 * owns the port) and gives the socket to a {@linkcode WebSocketConnection}, which frames it onto the client protocol
 * engine.
 *
 * @module
 */
import { CloseCode, DEFAULT_LIMITS, type ErrorCode, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import type { Authenticator } from "../auth.ts";
import type { SessionAcceptor, TransportServer } from "../contract.ts";
import { type ConnectionAuth, WebSocketConnection } from "./connection.ts";
import { credentialFromRequest } from "./credentials.ts";

/** Options of the WebSocket transport. */
export interface WebSocketTransportOptions {
  authenticator: Authenticator;
  acceptor: SessionAcceptor;
  limits?: Partial<ProtocolLimits>;
  /** Seconds between WebSocket pings; a client that does not answer is disconnected. */
  idleTimeoutSeconds?: number;
  /** Called with the code of every error reported to a client (the errors-by-code metric). */
  onError?: (code: ErrorCode) => void;
}

/** The WebSocket transport's connections. */
export class WebSocketTransport implements TransportServer {
  readonly name = "websocket";
  readonly limits: ProtocolLimits;
  #connections = new Set<WebSocketConnection>();
  #nextId = 1;
  #options: WebSocketTransportOptions;

  constructor(options: WebSocketTransportOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  connectionCount(): number {
    return this.#connections.size;
  }

  /** Closes every connection with 1001 (sessions end with `server_shutdown`), waiting briefly for the close frames. */
  async close(): Promise<void> {
    for (const connection of [...this.#connections]) connection.shutdown(CloseCode.goingAway, "server shutdown");
    const deadline = Date.now() + 2_000;
    while (this.#connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** Answers one upgrade request: authenticates it, then upgrades (a refusal is sent over the socket). */
  readonly upgrade = async (request: Request): Promise<Response> => {
    const { credential, protocol } = credentialFromRequest(request);
    const verdict = await this.#options.authenticator.verify(credential);
    const auth: ConnectionAuth = verdict.ok ? verdict : { ok: false, code: "unauthorized", message: verdict.message };
    const full = this.#connections.size >= this.limits.maxConnections;
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol,
      idleTimeout: this.#options.idleTimeoutSeconds ?? 30,
    });
    const connection = new WebSocketConnection(socket, {
      id: `ws-${this.#nextId++}`,
      auth,
      limits: this.limits,
      acceptor: this.#options.acceptor,
      onError: this.#options.onError,
      onClosed: (c) => this.#connections.delete(c),
      refuse: full
        ? {
          code: "server_full",
          message: "the server is at its connection limit",
          closeCode: CloseCode.tooManySessions,
        }
        : undefined,
    });
    this.#connections.add(connection);
    return response;
  };
}
