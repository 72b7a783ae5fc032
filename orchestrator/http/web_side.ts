/**
 * The web routes of the orchestrator's public port, built from config in one call for `main.ts`: the token service
 * `POST /api/connection-details` (offering LiveKit rooms when the LiveKit transport runs, the WebSocket transport
 * always) and the web client's files (`web/dist`). `main.ts` starts the transports; this only routes to them.
 *
 * ```ts
 * const web = createWebSide(config, { authenticator, livekit });
 * await startPublicServer({ hostname, port, upgrade: websocket.upgrade, web });
 * ```
 *
 * @module
 */
import { DEFAULT_TRUSTED_PROXIES, type OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import type { Authenticator } from "../transports/auth.ts";
import type { LiveKitTransport, RoomDispatcher } from "../transports/livekit/transport.ts";
import type { ConnectionDetailsOptions } from "./connection_details.ts";
import { publicOrigin, TrustedProxies } from "./request_origin.ts";
import { createWebHandler, DEFAULT_WEB_ROOT, type WebHandler } from "./web_routes.ts";

/** Config the web routes read. */
export type WebSideConfig =
  & Pick<
    OrchestratorConfig,
    | "LIVEKIT_API_KEY"
    | "LIVEKIT_API_SECRET"
    | "ORCHESTRATOR_TOKEN_SECRET"
    | "LIVEKIT_PUBLIC_URL"
    | "WEB_ALLOWED_ORIGINS"
  >
  & Partial<
    Pick<OrchestratorConfig, "PUBLIC_ORIGIN" | "WEB_PUBLIC" | "TRUSTED_PROXIES" | "ORCHESTRATOR_TOKEN_SECRET_ACCEPT">
  >;

/** Builds the routes; `livekit` is the running LiveKit transport, or null when LiveKit is not configured. */
export function createWebSide(
  config: WebSideConfig,
  parts: {
    authenticator: Authenticator;
    livekit: LiveKitTransport | null;
    webRoot?: string | null;
    /** Who puts an agent into a new room; default the LiveKit transport itself (LiveKit agent dispatch may replace it). */
    dispatcher?: RoomDispatcher;
  },
): WebHandler {
  let details: ConnectionDetailsOptions = {
    authenticator: parts.authenticator,
    tokenSecret: config.ORCHESTRATOR_TOKEN_SECRET,
    acceptedTokenSecret: config.ORCHESTRATOR_TOKEN_SECRET_ACCEPT,
    publicOrigins: config.PUBLIC_ORIGIN,
    allowedOrigins: config.WEB_ALLOWED_ORIGINS,
    webPublic: config.WEB_PUBLIC,
    trustedProxies: new TrustedProxies(config.TRUSTED_PROXIES ?? DEFAULT_TRUSTED_PROXIES),
  };
  const { livekit } = parts;
  if (livekit && config.LIVEKIT_API_KEY && config.LIVEKIT_API_SECRET) {
    details = {
      ...details,
      livekit: {
        credentials: { apiKey: config.LIVEKIT_API_KEY, apiSecret: config.LIVEKIT_API_SECRET },
        internalUrl: livekit.url,
        publicUrl: config.LIVEKIT_PUBLIC_URL ? String(config.LIVEKIT_PUBLIC_URL).replace(/\/$/, "") : undefined,
        dispatcher: parts.dispatcher ?? livekit,
      },
    };
  }
  const secret = config.ORCHESTRATOR_TOKEN_SECRET;
  const trusted = details.trustedProxies;
  const page = config.PUBLIC_ORIGIN?.[0];
  return createWebHandler({
    connectionDetails: details,
    webRoot: parts.webRoot === undefined ? DEFAULT_WEB_ROOT : parts.webRoot,
    pageCookie: secret && !config.WEB_PUBLIC
      ? {
        secret,
        secure: (request, info) =>
          (page ? new URL(page).protocol : publicOrigin(request, info.remoteAddr.hostname, trusted).protocol) ===
            "https:",
      }
      : undefined,
  });
}
