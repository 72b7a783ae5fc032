/**
 * The speaking half of the orchestrator, built from config (or around a router a test supplies): the worker
 * directory on Redis, the TTS router, the responders, and their readiness checks.
 *
 * @module
 */
import type { OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import { getLogger } from "../../shared/log/mod.ts";
import { WorkerDirectory } from "../../shared/registry/directory.ts";
import { workerLinkSecurity } from "../../shared/security/worker_rpc.ts";
import { loadWorkerClientTls } from "../../shared/security/worker_tls.ts";
import type { ReadinessCheck } from "../http/health_server.ts";
import { createResponders } from "../responder/select.ts";
import type { TtsRouter } from "../routing/contract.ts";
import { WorkerRouter } from "../routing/worker_router.ts";

const log = getLogger("orchestrator", "main");

/** The running speaking half. */
export interface Speaking {
  router: TtsRouter;
  /** The worker registry; null without Redis or with a supplied router. */
  directory: WorkerDirectory | null;
  responders: ReturnType<typeof createResponders>;
  checks: ReadinessCheck[];
  /** Closes the router and the directory built here (not a supplied router). */
  close(): Promise<void>;
}

/** Starts the directory and the router, unless a router is supplied, and builds the responders. */
export async function buildSpeaking(config: OrchestratorConfig, parts: { router?: TtsRouter }): Promise<Speaking> {
  let directory: WorkerDirectory | null = null;
  let router = parts.router;
  if (!router) {
    if (config.REDIS_URL) {
      directory = new WorkerDirectory({
        redisUrl: String(config.REDIS_URL),
        signingSecret: config.WORKER_RPC_SECRET || undefined,
        acceptedSigningSecret: config.WORKER_RPC_SECRET_ACCEPT || undefined,
      });
      if (!await directory.start()) {
        log.warn("Redis is not reachable yet; using {address} until it is", { address: config.TTS_WORKER_ADDRESS });
      }
    }
    router = new WorkerRouter({
      directory,
      staticAddress: config.TTS_WORKER_ADDRESS,
      policy: config.ROUTING_POLICY,
      defaultModel: config.DEFAULT_MODEL,
      security: { ...workerLinkSecurity(config), clientTls: loadWorkerClientTls(config) },
      stallTimeoutMs: config.TTS_STALL_TIMEOUT_MS,
      keepaliveMs: config.TTS_KEEPALIVE_MS,
      refuseModelFallback: config.STRICT_CONFIG,
    });
  }
  const tts = router;
  const owned = !parts.router;
  return {
    router: tts,
    directory,
    responders: createResponders(config),
    checks: [
      {
        name: "workers",
        required: true,
        check: () => {
          const workers = tts.workers();
          return {
            ok: workers.some((w) => w.healthy),
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
            : { ok: true, detail: owned ? "REDIS_URL not set" : "not used by the supplied router" },
      },
    ],
    async close() {
      if (!owned) return;
      await tts.close();
      await directory?.stop();
    },
  };
}
