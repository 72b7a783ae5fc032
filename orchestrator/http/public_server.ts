/**
 * The orchestrator's public port (`ORCHESTRATOR_WS_PORT`, the one Caddy proxies to and a browser opens directly when
 * there is no Caddy): owns `Deno.serve`, hands WebSocket upgrades to the WebSocket transport and every other request
 * to the web routes (the page and `POST /api/connection-details`), the way an HTTP app mounts its upgrade route.
 *
 * @module
 */
import { getLogger } from "../../shared/log/mod.ts";
import type { WebHandler } from "./web_routes.ts";

const log = getLogger("orchestrator", "http");

/** Answers one WebSocket upgrade request (the WebSocket transport's `upgrade`). */
export type UpgradeHandler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response>;

/** Options of the public port. */
export interface PublicServerOptions {
  hostname: string;
  port: number;
  /** WebSocket upgrades; absent: they get 404. */
  upgrade?: UpgradeHandler;
  /** Every other request; absent: 426 Upgrade Required, pointing at the protocol. */
  web?: WebHandler;
}

/** A listening public port. */
export interface PublicServer {
  /** `ws://host:port`: where WebSocket clients connect. */
  readonly wsUrl: string;
  /** `http://host:port`: the page and the token service. */
  readonly httpUrl: string;
  readonly port: number;
  /** Stops listening (the transports close their own connections first). */
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export async function startPublicServer(options: PublicServerOptions): Promise<PublicServer> {
  const { promise: bound, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: resolve,
    onError: (error) => {
      log.error("public port request failed: {error}", { error });
      return new Response("internal error", { status: 500 });
    },
  }, (request, info) => route(options, request, info));
  const addr = await bound;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    wsUrl: `ws://${host}:${addr.port}`,
    httpUrl: `http://${host}:${addr.port}`,
    port: addr.port,
    close: () => server.shutdown(),
  };
}

function route(
  options: PublicServerOptions,
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
): Response | Promise<Response> {
  if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
    if (options.upgrade) return options.upgrade(request, info);
    return new Response("no WebSocket sessions are served here\n", { status: 404 });
  }
  if (options.web) return options.web(request, info);
  return new Response("this endpoint speaks WebSocket (see docs/protocol.md)\n", {
    status: 426,
    headers: { upgrade: "websocket" },
  });
}
