/**
 * Everything the orchestrator's public port serves besides WebSocket sessions, built from config in one call for
 * `main.ts`: the LiveKit agent transport (when `LIVEKIT_URL`, `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET` are set),
 * the token service `POST /api/connection-details` and the web client's files (`web/dist`).
 *
 * ```ts
 * const web = await startWebSide(config, { acceptor: manager.accept, authenticator });
 * // the WebSocket server answers every non-upgrade request with web.handler(request, info)
 * checks.push(...web.checks);
 * // on shutdown, before the session manager's endAll():
 * await web.close();
 * ```
 *
 * @module
 */
import type { OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { Authenticator } from "../transports/auth.ts";
import type { SessionAcceptor } from "../transports/contract.ts";
import { type LiveKitTransport, startLiveKitTransport } from "../transports/livekit/transport.ts";
import type { ConnectionDetailsOptions } from "./connection_details.ts";
import { createWebHandler, DEFAULT_WEB_ROOT, type WebHandler } from "./web_routes.ts";

const log = getLogger("orchestrator", "web");

/**
 * Config the web side reads. The optional keys are proposed additions to the orchestrator schema:
 * `LIVEKIT_PUBLIC_URL` (the URL browsers use for LiveKit; unset: derived, https page → wss://same-host:8444) and
 * `WEB_ALLOWED_ORIGINS` (other origins whose pages may ask for connection details).
 */
export type WebSideConfig =
  & Pick<OrchestratorConfig, "LIVEKIT_URL" | "LIVEKIT_API_KEY" | "LIVEKIT_API_SECRET" | "ORCHESTRATOR_TOKEN_SECRET">
  & { LIVEKIT_PUBLIC_URL?: string | URL; WEB_ALLOWED_ORIGINS?: readonly string[] };

/** The running web side. */
export interface WebSide {
  /** For every request that is not a WebSocket upgrade. */
  handler: WebHandler;
  /** The LiveKit transport, when configured. */
  livekit: LiveKitTransport | null;
  /** Readiness checks to add to /health (LiveKit reachability, not required). */
  checks: Array<ReturnType<LiveKitTransport["readinessCheck"]>>;
  /** Ends LiveKit sessions (1001) and leaves every room. */
  close(): Promise<void>;
}

/** Starts the LiveKit transport (if configured) and builds the routes. */
export async function startWebSide(
  config: WebSideConfig,
  parts: { acceptor: SessionAcceptor; authenticator: Authenticator; webRoot?: string | null },
): Promise<WebSide> {
  let livekit: LiveKitTransport | null = null;
  let details: ConnectionDetailsOptions = {
    authenticator: parts.authenticator,
    tokenSecret: config.ORCHESTRATOR_TOKEN_SECRET,
  };
  if (config.LIVEKIT_URL && config.LIVEKIT_API_KEY && config.LIVEKIT_API_SECRET) {
    const credentials = { apiKey: config.LIVEKIT_API_KEY, apiSecret: config.LIVEKIT_API_SECRET };
    livekit = await startLiveKitTransport({
      url: String(config.LIVEKIT_URL),
      ...credentials,
      acceptor: parts.acceptor,
    });
    details = {
      ...details,
      livekit: {
        credentials,
        internalUrl: livekit.url,
        publicUrl: config.LIVEKIT_PUBLIC_URL ? String(config.LIVEKIT_PUBLIC_URL).replace(/\/$/, "") : undefined,
        dispatcher: livekit,
      },
      allowedOrigins: config.WEB_ALLOWED_ORIGINS,
    };
    log.info("LiveKit transport ready: agents join rooms at {url}", { url: livekit.url });
  } else {
    log.info("LiveKit is not configured: browsers use the WebSocket transport");
  }
  const transport = livekit;
  return {
    handler: createWebHandler({
      connectionDetails: details,
      webRoot: parts.webRoot === undefined ? DEFAULT_WEB_ROOT : parts.webRoot,
    }),
    livekit: transport,
    checks: transport ? [transport.readinessCheck()] : [],
    close: async () => {
      await transport?.close();
    },
  };
}
