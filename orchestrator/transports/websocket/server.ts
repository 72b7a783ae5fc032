/**
 * The WebSocket transport: checks and authenticates each upgrade the public port hands it
 * (`orchestrator/http/public_server.ts` owns the port) before upgrading (see `upgrade_gate.ts`: a refusal is an HTTP
 * answer, never an upgraded socket), and gives the socket to a {@linkcode WebSocketConnection}, which frames it onto
 * the client protocol engine.
 *
 * @module
 */
import { CloseCode, DEFAULT_LIMITS, type ErrorCode, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import type { Authenticator } from "../auth.ts";
import type { SessionAcceptor, TransportServer } from "../contract.ts";
import { type ConnectionAuth, WebSocketConnection } from "./connection.ts";
import { credentialFromRequest } from "./credentials.ts";
import { audit } from "../../../shared/log/audit.ts";
import { TrustedProxies } from "../../http/request_origin.ts";
import { AddressCounts, checkUpgrade, type UpgradeGateOptions } from "./upgrade_gate.ts";

/** Options of the WebSocket transport. */
export interface WebSocketTransportOptions {
  authenticator: Authenticator;
  acceptor: SessionAcceptor;
  limits?: Partial<ProtocolLimits>;
  /** Seconds between WebSocket pings; a client that does not answer is disconnected. */
  idleTimeoutSeconds?: number;
  /** Called with the code of every error reported to a client (the errors-by-code metric). */
  onError?: (code: ErrorCode) => void;
  /** Page origins allowed to open sessions (`PUBLIC_ORIGIN`, `WEB_ALLOWED_ORIGINS`); requests without Origin pass. */
  allowedOrigins?: readonly string[];
  /** Development mode: pages on loopback origins may open sessions too. */
  allowLoopbackOrigins?: boolean;
  /** Peers whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`); default loopback. */
  trustedProxies?: TrustedProxies;
}

/** The WebSocket transport's connections. */
export class WebSocketTransport implements TransportServer {
  readonly name = "websocket";
  readonly limits: ProtocolLimits;
  #connections = new Set<WebSocketConnection>();
  #counts = new AddressCounts();
  #nextId = 1;
  #options: WebSocketTransportOptions;
  #gate: UpgradeGateOptions;

  constructor(options: WebSocketTransportOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#gate = {
      allowedOrigins: new Set((options.allowedOrigins ?? []).map((o) => o.replace(/\/$/, "").toLowerCase())),
      allowLoopbackOrigins: options.allowLoopbackOrigins ?? false,
      trustedProxies: options.trustedProxies ?? new TrustedProxies(),
      maxConnections: this.limits.maxConnections,
      maxConnectionsPerAddress: this.limits.maxConnectionsPerAddress,
    };
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

  /**
   * Answers one upgrade request: the handshake, origin and capacity checks and the credential come first, each
   * refused with an HTTP status; only then is the socket upgraded.
   */
  readonly upgrade = async (request: Request, info?: { remoteAddr: { hostname: string } }): Promise<Response> => {
    const gate = checkUpgrade(request, info?.remoteAddr.hostname ?? "127.0.0.1", this.#counts, this.#gate);
    if (!gate.ok) {
      if (gate.response.status === 503) this.#options.onError?.("server_full");
      return gate.response;
    }
    const { address } = gate;
    const { credential, protocol } = credentialFromRequest(request);
    const verdict = await this.#options.authenticator.verify(credential);
    if (!verdict.ok) {
      audit({ action: "auth", outcome: "denied", client: address, reason: "bad_credential", via: "ws" });
      this.#options.onError?.("unauthorized");
      return Response.json({ error: "unauthorized", message: verdict.message }, { status: 401 });
    }
    // Development mode: anonymous clients are told apart by address, so one cannot use up everyone's sessions.
    const principal = verdict.principal === "anonymous" ? `anonymous:${address}` : verdict.principal;
    audit({ action: "auth", outcome: "ok", principal, client: address, via: "ws" });
    const auth: ConnectionAuth = { ok: true, principal };
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol,
      idleTimeout: this.#options.idleTimeoutSeconds ?? 30,
    });
    this.#counts.add(address);
    const connection = new WebSocketConnection(socket, {
      id: `ws-${this.#nextId++}`,
      auth,
      limits: this.limits,
      acceptor: this.#options.acceptor,
      onError: this.#options.onError,
      onClosed: (c) => {
        if (this.#connections.delete(c)) this.#counts.remove(address);
      },
    });
    this.#connections.add(connection);
    return response;
  };
}
