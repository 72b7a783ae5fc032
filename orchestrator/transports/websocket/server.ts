/**
 * The WebSocket transport: `Deno.serve` + `Deno.upgradeWebSocket` on `ORCHESTRATOR_WS_PORT`. Authenticates each
 * upgrade, then hands the socket to a {@linkcode WebSocketConnection} that enforces the protocol.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import { CloseCode, DEFAULT_LIMITS, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import type { Authenticator } from "../auth.ts";
import type { SessionAcceptor, TransportServer } from "../contract.ts";
import { type ConnectionAuth, WebSocketConnection } from "./connection.ts";
import { credentialFromRequest } from "./credentials.ts";

const log = getLogger("orchestrator", "ws");

/** Options of the WebSocket server. */
export interface WebSocketServerOptions {
  hostname: string;
  port: number;
  authenticator: Authenticator;
  acceptor: SessionAcceptor;
  limits?: Partial<ProtocolLimits>;
  /** Seconds between WebSocket pings; a client that does not answer is disconnected. */
  idleTimeoutSeconds?: number;
  /**
   * Answers every request that is not a WebSocket upgrade (the web client, the token service). Without it such
   * requests get 426 Upgrade Required.
   */
  httpHandler?: (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;
}

/** Starts the WebSocket transport; resolves once it listens. */
export async function startWebSocketServer(options: WebSocketServerOptions): Promise<WebSocketTransportServer> {
  const server = new WebSocketTransportServer(options);
  await server.listening;
  return server;
}

/** A listening WebSocket transport. */
export class WebSocketTransportServer implements TransportServer {
  readonly name = "websocket";
  readonly limits: ProtocolLimits;
  readonly listening: Promise<void>;
  #connections = new Set<WebSocketConnection>();
  #httpServer: Deno.HttpServer<Deno.NetAddr>;
  #nextId = 1;
  #url = "";
  #options: WebSocketServerOptions;

  constructor(options: WebSocketServerOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const { promise, resolve } = Promise.withResolvers<void>();
    this.listening = promise;
    this.#httpServer = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: (addr) => {
        this.#url = `ws://${addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname}:${addr.port}`;
        resolve();
      },
      onError: (error) => {
        log.error("WebSocket server request failed: {error}", { error });
        return new Response("internal error", { status: 500 });
      },
    }, (request, info) => this.#handle(request, info));
  }

  get url(): string {
    return this.#url;
  }

  connectionCount(): number {
    return this.#connections.size;
  }

  /** Sessions running on this transport (connections that sent a valid `session.start`). */
  sessionCount(): number {
    let n = 0;
    for (const c of this.#connections) if (c.hasSession) n++;
    return n;
  }

  async close(): Promise<void> {
    for (const connection of [...this.#connections]) connection.shutdown(CloseCode.goingAway, "server shutdown");
    // Give close frames a moment to leave before the listener goes away.
    const deadline = Date.now() + 2_000;
    while (this.#connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.#httpServer.shutdown();
  }

  async #handle(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      if (this.#options.httpHandler) return await this.#options.httpHandler(request, info);
      return new Response("this endpoint speaks WebSocket (see docs/protocol.md)\n", {
        status: 426,
        headers: { upgrade: "websocket" },
      });
    }
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
  }
}
