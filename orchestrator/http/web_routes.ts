/**
 * The orchestrator's plain-HTTP routes on its public port (the one Caddy proxies `https://{host}:8443` to, and the
 * one a browser opens directly when there is no Caddy): `POST /api/connection-details` and the web client's files.
 * The WebSocket server hands every request that is not a WebSocket upgrade to this handler.
 *
 * @module
 */
import {
  type ClientInfo,
  CONNECTION_DETAILS_PATH,
  type ConnectionDetailsOptions,
  createConnectionDetailsHandler,
} from "./connection_details.ts";
import { createStaticHandler } from "./static_files.ts";

/** Default location of the built web client, relative to the working directory (the repository root). */
export const DEFAULT_WEB_ROOT = "web/dist";

/** Options of the web routes. */
export interface WebRoutesOptions {
  /** The token service; absent: `/api/connection-details` answers 404. */
  connectionDetails?: ConnectionDetailsOptions;
  /** Folder of the built web client (default `web/dist`); null: no page is served. */
  webRoot?: string | null;
}

/** A request handler for everything that is not a WebSocket upgrade. */
export type WebHandler = (request: Request, info: ClientInfo) => Promise<Response>;

/** Creates the handler. */
export function createWebHandler(options: WebRoutesOptions): WebHandler {
  const details = options.connectionDetails ? createConnectionDetailsHandler(options.connectionDetails) : null;
  const root = options.webRoot === undefined ? DEFAULT_WEB_ROOT : options.webRoot;
  const files = root === null ? null : createStaticHandler(root);
  return (request, info) => {
    const { pathname } = new URL(request.url);
    if (pathname === CONNECTION_DETAILS_PATH) {
      if (details) return details(request, info);
      return Promise.resolve(Response.json({ error: "not_found", message: "the token service is not enabled" }, {
        status: 404,
      }));
    }
    if (pathname.startsWith("/api/")) {
      return Promise.resolve(Response.json({ error: "not_found", message: `no API at ${pathname}` }, { status: 404 }));
    }
    if (files) return files(request);
    return Promise.resolve(new Response("no web client is served here\n", { status: 404 }));
  };
}
