/**
 * The orchestrator's operations endpoint on `ORCHESTRATOR_HEALTH_PORT`: `/livez` (the process answers), `/health`
 * (readiness: every required check passes, else 503 with a JSON body naming what is missing), `/metrics`
 * (Prometheus text exposition) and `/sd/workers` (Prometheus http_sd targets of the TTS workers).
 *
 * @module
 */
import { getLogger } from "../../shared/log/mod.ts";
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../../shared/metrics/registry.ts";
import { SERVICE_DISCOVERY_PATH, type TargetGroup } from "../metrics/service_discovery.ts";

const log = getLogger("orchestrator", "http");

/** The outcome of one readiness check. */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** One thing /health looks at. A check that is not `required` is reported but does not make the service unready. */
export interface ReadinessCheck {
  name: string;
  required: boolean;
  check(): CheckResult | Promise<CheckResult>;
}

/** Options of the server. */
export interface HealthServerOptions {
  hostname: string;
  port: number;
  checks: readonly ReadinessCheck[];
  metrics: MetricsRegistry;
  /** The http_sd target groups of the workers; without it the path answers an empty list. */
  scrapeTargets?: () => TargetGroup[];
  /** Longest a check may take before it counts as failed, in ms. */
  checkTimeoutMs?: number;
  /**
   * How long one evaluation answers every /health request, in ms (default 1000): a flood of /health requests must
   * not become a flood of outbound readiness calls (LiveKit, Redis).
   */
  readinessCacheMs?: number;
}

/** Shares one readiness evaluation between all requests within `cacheMs` (including those while it runs). */
export function cachedReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs?: number,
  cacheMs = 1_000,
): () => Promise<{ ready: boolean; body: Record<string, unknown> }> {
  let current: { at: number; result: ReturnType<typeof evaluateReadiness> } | null = null;
  return () => {
    const now = performance.now();
    if (!current || now - current.at >= cacheMs) current = { at: now, result: evaluateReadiness(checks, timeoutMs) };
    return current.result;
  };
}

/** A running health server. */
export interface HealthServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Runs every check (in parallel, each bounded by the timeout) and builds the /health body. */
export async function evaluateReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = 1_000,
): Promise<{ ready: boolean; body: Record<string, unknown> }> {
  const results = await Promise.all(checks.map(async (c) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    try {
      const result = await Promise.race([Promise.resolve().then(() => c.check()), timeout]);
      return [c, result] as const;
    } catch (error) {
      return [c, { ok: false, detail: (error as Error).message }] as const;
    } finally {
      clearTimeout(timer);
    }
  }));
  const missing = results.filter(([c, r]) => c.required && !r.ok).map(([c]) => c.name);
  const degraded = results.filter(([c, r]) => !c.required && !r.ok).map(([c]) => c.name);
  const ready = missing.length === 0;
  return {
    ready,
    body: {
      status: ready ? (degraded.length ? "degraded" : "ok") : "not_ready",
      missing,
      degraded,
      checks: Object.fromEntries(
        results.map((
          [c, r],
        ) => [c.name, { ok: r.ok, required: c.required, ...(r.detail ? { detail: r.detail } : {}) }]),
      ),
    },
  };
}

/** Starts the server; resolves once it listens. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { promise, resolve } = Promise.withResolvers<string>();
  const readiness = cachedReadiness(options.checks, options.checkTimeoutMs, options.readinessCacheMs);
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: (addr) =>
      resolve(`http://${addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname}:${addr.port}`),
    onError: (error) => {
      log.error("health request failed: {error}", { error });
      return new Response("internal error\n", { status: 500 });
    },
  }, async (request) => {
    const { pathname } = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (pathname === "/livez") return new Response("ok\n", { headers: { "content-type": "text/plain" } });
    if (pathname === "/metrics") {
      return new Response(options.metrics.render(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
    }
    if (pathname === SERVICE_DISCOVERY_PATH) {
      return Response.json(options.scrapeTargets?.() ?? [], { headers: { "cache-control": "no-store" } });
    }
    if (pathname === "/health" || pathname === "/healthz" || pathname === "/readyz") {
      const { ready, body } = await readiness();
      return Response.json(body, { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } });
    }
    return new Response(`not found: try /health, /livez, /metrics or ${SERVICE_DISCOVERY_PATH}\n`, { status: 404 });
  });
  const url = await promise;
  return { url, close: () => server.shutdown() };
}
