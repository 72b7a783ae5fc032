/**
 * The full stack a browser talks to: Redis, a Piper worker process (PyPI voice), the orchestrator composition with
 * real Silero VAD and Whisper (tests/orchestrator/e2e_ws/stack.ts), a real LiveKit server with the agent transport,
 * the orchestrator's public port (page, token service, WebSocket) and Caddy in front with its internal CA, all on
 * free loopback ports.
 *
 * @module
 */
import { type ConnectionDetailsOptions } from "../../orchestrator/http/connection_details.ts";
import { createAuthenticator } from "../../orchestrator/transports/auth.ts";
import { type LiveKitTransport, startLiveKitTransport } from "../../orchestrator/transports/livekit/transport.ts";
import { freePort } from "../../harness/ports.ts";
import { resolveRepoPath } from "../../harness/sox.ts";
import { API_KEY, type E2EStack, EXTRA_KEYS, startStack } from "../../harness/ws_stack.ts";
import { LiveKitServer } from "../../harness/livekit_server.ts";
import { CaddyServer } from "./caddy.ts";
import { listenWebSocket, type WebSocketListener } from "../orchestrator/transports/websocket_listener.ts";
import { createWebHandler } from "../../orchestrator/http/web_routes.ts";

/** Secret for the WebSocket fallback tokens the token service mints for browsers. */
const TOKEN_SECRET = "e2e-orchestrator-token-secret-0123456789abcdef";

/** A running browser stack. */
export interface BrowserStack {
  core: E2EStack;
  livekit: LiveKitServer;
  transport: LiveKitTransport;
  /** The orchestrator's public port: page, token service and WebSocket sessions. */
  publicPort: WebSocketListener;
  caddy: CaddyServer;
  /** The token service's options; tests may change `livekit.publicUrl` to make LiveKit unreachable for the page. */
  details: ConnectionDetailsOptions & { livekit: NonNullable<ConnectionDetailsOptions["livekit"]> };
  /** `https://localhost:<port>/`: the page through Caddy. */
  pageUrl: string;
  close(): Promise<void>;
}

/** Builds the web client (fails with the build's output when it cannot). */
export async function buildWebClient(): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", resolveRepoPath("web/build.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno task web:build failed:\n${new TextDecoder().decode(output.stderr).slice(-2000)}`);
  }
}

/** Starts everything; on failure stops what already runs and rethrows. */
export async function startBrowserStack(): Promise<BrowserStack> {
  await buildWebClient();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const core = await startStack({
      env: {
        ORCHESTRATOR_TOKEN_SECRET: TOKEN_SECRET,
        // On a loaded 2-core machine Whisper's first words can take over a second: a barge-in is only committed
        // when words arrive within this window, so it is wider than the 700 ms default.
        FALSE_INTERRUPTION_MS: "2500",
      },
    });
    stops.push(() => core.close());
    const livekit = await LiveKitServer.start();
    stops.push(() => livekit.stop());
    const transport = await startLiveKitTransport({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      acceptor: core.orchestrator.manager.accept,
    });
    stops.push(() => transport.close());
    const authenticator = createAuthenticator({ apiKeys: [API_KEY, ...EXTRA_KEYS], tokenSecret: TOKEN_SECRET });
    // The page is public (WEB_PUBLIC=true) at a known origin (PUBLIC_ORIGIN), as behind a deployment's Caddy.
    const webPort = freePort();
    const pageOrigin = `https://localhost:${webPort}`;
    const details = {
      livekit: { credentials: livekit, internalUrl: livekit.url, dispatcher: transport, publicUrl: "" },
      authenticator,
      tokenSecret: TOKEN_SECRET,
      publicOrigins: [pageOrigin],
      webPublic: true,
      rateLimit: { perMinute: 120, burst: 20 },
    };
    const publicPort = await listenWebSocket({
      acceptor: core.orchestrator.manager.accept,
      authenticator,
      allowedOrigins: [pageOrigin],
      web: createWebHandler({ connectionDetails: details, webRoot: resolveRepoPath("web/dist") }),
    });
    stops.push(() => publicPort.close());
    const caddy = await CaddyServer.start({
      orchestrator: `127.0.0.1:${publicPort.port}`,
      livekit: `127.0.0.1:${livekit.port}`,
      webPort,
    });
    stops.push(() => caddy.stop());
    // The test's Caddy listens on a free port, not 8444: name it, as LIVEKIT_PUBLIC_URL would in a deployment.
    details.livekit.publicUrl = caddy.livekitUrl;
    return { core, livekit, transport, publicPort, caddy, details, pageUrl: `${caddy.webUrl}/`, close: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
