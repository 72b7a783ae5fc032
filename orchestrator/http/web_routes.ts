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
import { mintPageCookie } from "./page_cookie.ts";
import { createStaticHandler } from "./static_files.ts";

/** Default location of the built web client, relative to the working directory (the repository root). */
export const DEFAULT_WEB_ROOT = "web/dist";

/** Options of the web routes. */
export interface WebRoutesOptions {
  /** The token service; absent: `/api/connection-details` answers 404. */
  connectionDetails?: ConnectionDetailsOptions;
  /** Folder of the built web client (default `web/dist`); null: no page is served. */
  webRoot?: string | null;
  /**
   * Set the page-load cookie on every HTML page served (a page that is not public; see page_cookie.ts): the secret
   * that signs it, and whether the page's origin is https (the cookie is then `Secure`).
   */
  pageCookie?: { secret: string; secure: (request: Request, info: ClientInfo) => boolean };
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
    if (files) {
      return options.pageCookie ? withPageCookie(files(request), request, info, options.pageCookie) : files(request);
    }
    return Promise.resolve(new Response("no web client is served here\n", { status: 404 }));
  };
}

/** Adds the page-load cookie to an HTML response (also a 304 revalidation: the page was loaded again). */
async function withPageCookie(
  pending: Promise<Response>,
  request: Request,
  info: ClientInfo,
  cookie: NonNullable<WebRoutesOptions["pageCookie"]>,
): Promise<Response> {
  const response = await pending;
  const html = response.headers.get("content-type")?.startsWith("text/html") || response.status === 304;
  if (!html || request.method !== "GET") return response;
  const headers = new Headers(response.headers);
  headers.append("set-cookie", await mintPageCookie(cookie.secret, { secure: cookie.secure(request, info) }));
  return new Response(response.body, { status: response.status, headers });
}
