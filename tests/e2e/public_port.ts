/**
 * The orchestrator's public port as the end-to-end tests need it: one listener that serves the web routes
 * (`createWebHandler`: page + `POST /api/connection-details`) and WebSocket sessions (the real
 * `WebSocketConnection` of the WebSocket transport, on the orchestrator's own session manager).
 *
 * This composes exported parts until `orchestrator/main.ts` mounts the web routes on its WebSocket server itself
 * (requested from the orchestrator's owner); then the stack can point Caddy at `orchestrator.wsUrl` directly.
 *
 * @module
 */
import type { WebHandler } from "../../orchestrator/http/web_routes.ts";
import { CloseCode, DEFAULT_LIMITS } from "../../shared/protocol/limits.ts";
import type { Authenticator } from "../../orchestrator/transports/auth.ts";
import type { SessionAcceptor } from "../../orchestrator/transports/contract.ts";
import { type ConnectionAuth, WebSocketConnection } from "../../orchestrator/transports/websocket/connection.ts";
import { credentialFromRequest } from "../../orchestrator/transports/websocket/credentials.ts";
import { freePort } from "../helpers/ports.ts";

/** A listening public port. */
export interface PublicPort {
  port: number;
  /** `127.0.0.1:<port>` for Caddy's upstream. */
  address: string;
  close(): Promise<void>;
}

/** Starts the listener on a free loopback port. */
export async function startPublicPort(options: {
  acceptor: SessionAcceptor;
  authenticator: Authenticator;
  web: WebHandler;
}): Promise<PublicPort> {
  const connections = new Set<WebSocketConnection>();
  let nextId = 1;
  const port = freePort();
  const { promise: listening, resolve } = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => resolve() }, async (request, info) => {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return options.web(request, info);
    const { credential, protocol } = credentialFromRequest(request);
    const verdict = await options.authenticator.verify(credential);
    const auth: ConnectionAuth = verdict.ok ? verdict : { ok: false, code: "unauthorized", message: verdict.message };
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol, idleTimeout: 30 });
    const connection = new WebSocketConnection(socket, {
      id: `e2e-ws-${nextId++}`,
      auth,
      limits: DEFAULT_LIMITS,
      acceptor: options.acceptor,
      onClosed: (c) => connections.delete(c),
    });
    connections.add(connection);
    return response;
  });
  await listening;
  return {
    port,
    address: `127.0.0.1:${port}`,
    async close() {
      for (const c of [...connections]) c.shutdown(CloseCode.goingAway, "server shutdown");
      const deadline = Date.now() + 2_000;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await server.shutdown();
    },
  };
}
