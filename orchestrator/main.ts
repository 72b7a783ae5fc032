/**
 * `deno task run-orch`: the orchestrator process. Wires config → logging → VAD model → ASR engine → TTS router
 * (Redis registry + static fallback) → responders → sessions → the two transports side by side (WebSocket, LiveKit
 * when configured) → the public port (WebSocket upgrades, page, token service) → health/metrics server, and shuts
 * down gracefully on SIGTERM/SIGINT (sessions closed with 1001, workers' sessions ended, Redis closed).
 *
 * `startOrchestrator` is exported so tests and benches run the same composition in-process.
 *
 * @module
 */
import { loadOrchestratorConfigOrExit, type OrchestratorConfig } from "../shared/config/orchestrator.ts";
import { effectiveLogLevel } from "../shared/config/common.ts";
import { unknownVariableWarnings } from "../shared/config/unknown_variables.ts";
import { getLogger } from "../shared/log/mod.ts";
import { setupLogging } from "../shared/log/setup.ts";
import type { AsrEngine } from "./asr/contract.ts";
import { type HealthServer, type ReadinessCheck, startHealthServer } from "./http/health_server.ts";
import { type PublicServer, startPublicServer } from "./http/public_server.ts";
import { startAgentDispatch } from "./dispatch/start.ts";
import { createWebSide } from "./http/web_side.ts";
import { wantsGpuMetrics } from "../shared/config/common.ts";
import { GpuSampler } from "../shared/metrics/gpu.ts";
import { OrchestratorMetrics } from "./metrics/orchestrator_metrics.ts";
import { workerTargets } from "./metrics/service_discovery.ts";
import type { TtsRouter } from "./routing/contract.ts";
import { SessionManager } from "./session/manager.ts";
import { createAuthenticator } from "./transports/auth.ts";
import { type LiveKitTransport, startLiveKitFromConfig } from "./transports/livekit/transport.ts";
import { WebSocketTransport } from "./transports/websocket/server.ts";
import { TrustedProxies } from "./http/request_origin.ts";
import type { SileroVadModel } from "./vad/mod.ts";
import { buildListening } from "./compose/listening.ts";
import { buildSpeaking } from "./compose/speaking.ts";

const log = getLogger("orchestrator", "main");

/** Parts a caller may supply instead of having them built from config (tests share loaded models this way). */
export interface OrchestratorParts {
  vadModel?: SileroVadModel;
  asr?: AsrEngine;
  router?: TtsRouter;
}

/** A running orchestrator. */
export interface Orchestrator {
  readonly wsUrl: string;
  readonly healthUrl: string;
  readonly manager: SessionManager;
  readonly router: TtsRouter;
  readonly metrics: OrchestratorMetrics;
  readonly websocket: WebSocketTransport;
  /** The LiveKit transport; null without LiveKit config. */
  readonly livekit: LiveKitTransport | null;
  /** The public port: WebSocket upgrades, the page and the token service. */
  readonly publicServer: PublicServer;
  /** Graceful stop: closes sessions (1001), the listeners, the router and what was built here. */
  close(): Promise<void>;
}

/** Builds and starts everything from a validated config. */
export async function startOrchestrator(
  config: OrchestratorConfig,
  parts: OrchestratorParts = {},
): Promise<Orchestrator> {
  const listening = await buildListening(config, parts);
  const speaking = await buildSpeaking(config, parts);
  const { router: ttsRouter, directory } = speaking;
  const metrics = new OrchestratorMetrics(ttsRouter, {
    directory,
    expectedModels: [config.DEFAULT_MODEL],
    gpu: wantsGpuMetrics(config.GPU_METRICS, listening.asr.device ?? "cpu")
      ? new GpuSampler({ visibleDevices: Deno.env.get("CUDA_VISIBLE_DEVICES") })
      : undefined,
  });
  const manager = new SessionManager({
    turn: {
      falseInterruptionMs: config.FALSE_INTERRUPTION_MS,
      bargeInGuardMs: config.BARGE_IN_GUARD_MS,
      earlyHold: config.BARGE_IN_EARLY_HOLD,
      speculative: config.EARLY_RESPONSE,
      pacerLeadMs: config.PACER_LEAD_MS,
      defaultLanguage: config.ASR_LANGUAGE ?? "en",
      defaultModel: config.DEFAULT_MODEL,
    },
    maxSessionsPerKey: config.ORCHESTRATOR_MAX_SESSIONS_PER_KEY,
    responders: speaking.responders,
    router: ttsRouter,
    asrLanguages: listening.asr.languages,
    metrics,
    llmTurnsPerMinute: config.LLM_TURNS_PER_MINUTE,
    transcriptLog: config.TRANSCRIPT_LOG,
    createSpeechInput: (listener, params) => listening.createSpeechInput(listener, params.language),
  });

  const apiKeys = config.ORCHESTRATOR_API_KEYS;
  const anonymous = apiKeys.length === 0 && !config.ORCHESTRATOR_TOKEN_SECRET;
  if (anonymous) {
    log.warn("ORCHESTRATOR_API_KEYS and ORCHESTRATOR_TOKEN_SECRET are empty: development mode, anyone may connect");
  }
  // One authenticator for both transports and the token service, so a key or token works the same everywhere.
  const authenticator = createAuthenticator({
    apiKeys,
    tokenSecret: config.ORCHESTRATOR_TOKEN_SECRET,
    acceptedTokenSecret: config.ORCHESTRATOR_TOKEN_SECRET_ACCEPT,
    allowAnonymous: anonymous,
  });
  // Every error a transport reports to a client counts by its code (sessions count their own, see Session).
  const countError = (code: string) => metrics.errors.inc({ code });
  const websocket = new WebSocketTransport({
    authenticator,
    acceptor: manager.accept,
    onError: countError,
    allowedOrigins: [...config.PUBLIC_ORIGIN, ...config.WEB_ALLOWED_ORIGINS],
    allowLoopbackOrigins: anonymous,
    trustedProxies: new TrustedProxies(config.TRUSTED_PROXIES),
    limits: { maxConnectionsPerAddress: config.ORCHESTRATOR_MAX_CONNECTIONS_PER_ADDRESS },
  });
  const livekit = await startLiveKitFromConfig(config, manager.accept, countError);
  const dispatch = startAgentDispatch(config, livekit, () => manager.size);
  const publicServer = await startPublicServer({
    hostname: config.ORCHESTRATOR_HOST,
    port: config.ORCHESTRATOR_WS_PORT,
    upgrade: websocket.upgrade,
    web: createWebSide(config, { authenticator, livekit, dispatcher: dispatch?.dispatcher }),
  });

  const checks: ReadinessCheck[] = [
    ...listening.checks,
    ...speaking.checks,
    ...livekit ? [livekit.readinessCheck()] : [],
  ];
  const health: HealthServer = await startHealthServer({
    hostname: config.ORCHESTRATOR_HOST,
    port: config.ORCHESTRATOR_HEALTH_PORT,
    checks,
    metrics: metrics.registry,
    scrapeTargets: () => workerTargets(directory?.list() ?? []),
  });
  log.info("orchestrator listening: sessions on {ws}, health on {health}", {
    ws: publicServer.wsUrl,
    health: health.url,
  });

  let closing: Promise<void> | null = null;
  return {
    wsUrl: publicServer.wsUrl,
    healthUrl: health.url,
    manager,
    router: ttsRouter,
    metrics,
    websocket,
    livekit,
    publicServer,
    close: () =>
      closing ??= (async () => {
        // Outside in: no new connections, then the sessions, then what they used.
        const steps: Array<[string, () => unknown]> = [
          ["websocket transport", () => websocket.close()],
          ["LiveKit agent worker", () => dispatch?.worker.close()],
          ["livekit transport", () => livekit?.close()],
          ["public port", () => publicServer.close()],
          ["sessions", () => manager.endAll()],
          ["health server", () => health.close()],
          ["metrics", () => metrics.close()],
          ["speaking half", () => speaking.close()],
          ["listening half", () => listening.close()],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (error) {
            log.warn("shutdown step {name} failed: {error}", { name, error });
          }
        }
      })(),
  };
}

if (import.meta.main) {
  const config = loadOrchestratorConfigOrExit();
  setupLogging({ service: "orchestrator", level: effectiveLogLevel(config), format: config.LOG_FORMAT });
  for (const warning of unknownVariableWarnings(Deno.env.toObject())) log.warn(warning);
  if (config.ALLOW_INSECURE_DEV) {
    log.warn("ALLOW_INSECURE_DEV=true: security checks are warnings only. Never run a deployment like this.");
  }
  let orchestrator: Orchestrator;
  try {
    orchestrator = await startOrchestrator(config);
  } catch (error) {
    log.error("the orchestrator could not start: {error}", { error });
    Deno.exit(1);
  }
  const stop = async (signal: string) => {
    log.info("{signal}: shutting down", { signal });
    const forced = setTimeout(() => Deno.exit(1), 10_000);
    await orchestrator.close();
    clearTimeout(forced);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
}
