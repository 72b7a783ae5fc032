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
import { getLogger } from "../shared/log/mod.ts";
import { setupLogging } from "../shared/log/setup.ts";
import { WorkerDirectory } from "../shared/registry/directory.ts";
import type { AsrEngine } from "./asr/contract.ts";
import { selectAsrEngine } from "./asr/select.ts";
import { type HealthServer, type ReadinessCheck, startHealthServer } from "./http/health_server.ts";
import { type PublicServer, startPublicServer } from "./http/public_server.ts";
import { createWebSide } from "./http/web_side.ts";
import { wantsGpuMetrics } from "../shared/config/common.ts";
import { GpuSampler } from "../shared/metrics/gpu.ts";
import { OrchestratorMetrics } from "./metrics/orchestrator_metrics.ts";
import { workerTargets } from "./metrics/service_discovery.ts";
import { createResponders } from "./responder/select.ts";
import type { TtsRouter } from "./routing/contract.ts";
import { WorkerRouter } from "./routing/worker_router.ts";
import { SessionManager } from "./session/manager.ts";
import { SpeechInput } from "./session/speech_input.ts";
import { createAuthenticator } from "./transports/auth.ts";
import { type LiveKitTransport, startLiveKitFromConfig } from "./transports/livekit/transport.ts";
import { WebSocketTransport } from "./transports/websocket/server.ts";
import { loadVadModel, type SileroVadModel, vadOptionsFromConfig } from "./vad/mod.ts";

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
  const owned: Array<() => Promise<void>> = [];
  const vadModel = parts.vadModel ?? await loadVadModel(config);
  if (!parts.vadModel) owned.push(() => vadModel.dispose());
  const vadOptions = vadOptionsFromConfig(config);
  let asr = parts.asr;
  if (!asr) {
    const selection = await selectAsrEngine(config);
    asr = selection.engine;
    owned.push(() => selection.engine.dispose());
  }
  const asrEngine = asr;
  log.info("ASR engine {engine} ({languages})", { engine: asrEngine.name, languages: asrEngine.languages.join(",") });

  let directory: WorkerDirectory | null = null;
  let router = parts.router;
  if (!router) {
    if (config.REDIS_URL) {
      directory = new WorkerDirectory({ redisUrl: String(config.REDIS_URL) });
      if (!await directory.start()) {
        log.warn("Redis is not reachable yet; using {address} until it is", {
          address: config.TTS_WORKER_ADDRESS,
        });
      }
    }
    const built = new WorkerRouter({
      directory,
      staticAddress: config.TTS_WORKER_ADDRESS,
      policy: config.ROUTING_POLICY,
      defaultModel: config.DEFAULT_MODEL,
    });
    router = built;
    owned.push(async () => {
      await built.close();
      await directory?.stop();
    });
  }
  const ttsRouter = router;
  const metrics = new OrchestratorMetrics(ttsRouter, {
    directory,
    expectedModels: [config.DEFAULT_MODEL],
    gpu: wantsGpuMetrics(config.GPU_METRICS, asrEngine.device ?? "cpu")
      ? new GpuSampler({ visibleDevices: Deno.env.get("CUDA_VISIBLE_DEVICES") })
      : undefined,
  });
  owned.push(() => Promise.resolve(metrics.close()));
  const responders = createResponders(config);
  const manager = new SessionManager({
    turn: {
      falseInterruptionMs: config.FALSE_INTERRUPTION_MS,
      bargeInGuardMs: config.BARGE_IN_GUARD_MS,
      pacerLeadMs: config.PACER_LEAD_MS,
      defaultLanguage: config.ASR_LANGUAGE ?? "en",
      defaultModel: config.DEFAULT_MODEL,
    },
    maxSessionsPerKey: config.ORCHESTRATOR_MAX_SESSIONS_PER_KEY,
    responders,
    router: ttsRouter,
    asrLanguages: asrEngine.languages,
    metrics,
    createSpeechInput: (listener, params) =>
      new SpeechInput({
        vad: vadModel.createStream(vadOptions),
        asr: asrEngine,
        listener,
        language: params.language,
      }),
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
    allowAnonymous: anonymous,
  });
  // Every error a transport reports to a client counts by its code (sessions count their own, see Session).
  const countError = (code: string) => metrics.errors.inc({ code });
  const websocket = new WebSocketTransport({ authenticator, acceptor: manager.accept, onError: countError });
  const livekit = await startLiveKitFromConfig(config, manager.accept, countError);
  const publicServer = await startPublicServer({
    hostname: config.ORCHESTRATOR_HOST,
    port: config.ORCHESTRATOR_WS_PORT,
    upgrade: websocket.upgrade,
    web: createWebSide(config, { authenticator, livekit }),
  });

  const checks: ReadinessCheck[] = [
    { name: "vad", required: true, check: () => ({ ok: true, detail: "silero v5 loaded" }) },
    { name: "asr", required: true, check: () => ({ ok: true, detail: `${asrEngine.name} loaded` }) },
    {
      name: "workers",
      required: true,
      check: () => {
        const workers = ttsRouter.workers();
        const healthy = workers.filter((w) => w.healthy);
        return {
          ok: healthy.length > 0,
          detail: workers.length
            ? workers.map((w) => `${w.name}=${w.healthy ? "healthy" : "unhealthy"}`).join(", ")
            : "no TTS worker known (registry empty and no TTS_WORKER_ADDRESS)",
        };
      },
    },
    {
      // Not required: without Redis the router falls back to TTS_WORKER_ADDRESS, so the service still works.
      name: "redis",
      required: false,
      check: () =>
        directory
          ? { ok: directory.connected, detail: directory.connected ? "connected" : "unreachable" }
          : { ok: true, detail: parts.router ? "not used by the supplied router" : "REDIS_URL not set" },
    },
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
        await websocket.close();
        await livekit?.close();
        await publicServer.close();
        manager.endAll();
        await health.close();
        for (const release of owned.reverse()) {
          await release().catch((error) => log.warn("shutdown step failed: {error}", { error }));
        }
      })(),
  };
}

if (import.meta.main) {
  const config = loadOrchestratorConfigOrExit();
  setupLogging({ service: "orchestrator", level: config.LOG_LEVEL, format: config.LOG_FORMAT });
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
