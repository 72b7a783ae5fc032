/**
 * The WebSocket transport on a public port of its own, composed as `orchestrator/main.ts` composes it, on a free
 * loopback port: for tests and benches that need WebSocket sessions without the whole orchestrator.
 *
 * @module
 */
import { startPublicServer } from "../../../orchestrator/http/public_server.ts";
import type { WebHandler } from "../../../orchestrator/http/web_routes.ts";
import type { TransportServer } from "../../../orchestrator/transports/contract.ts";
import {
  WebSocketTransport,
  type WebSocketTransportOptions,
} from "../../../orchestrator/transports/websocket/server.ts";
import { freePort } from "../../../harness/ports.ts";

/** A listening WebSocket transport. */
export interface WebSocketListener extends TransportServer {
  readonly transport: WebSocketTransport;
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
}

/** Starts the transport behind a public port on a free loopback port; `web` answers the other requests. */
export async function listenWebSocket(
  options: WebSocketTransportOptions & { web?: WebHandler },
): Promise<WebSocketListener> {
  const transport = new WebSocketTransport(options);
  const server = await startPublicServer({
    hostname: "127.0.0.1",
    port: freePort(),
    upgrade: transport.upgrade,
    web: options.web,
  });
  return {
    name: transport.name,
    transport,
    url: server.wsUrl,
    port: server.port,
    connectionCount: () => transport.connectionCount(),
    close: async () => {
      await transport.close();
      await server.close();
    },
  };
}
