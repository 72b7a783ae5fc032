/**
 * Turns a target (`dev`, `dev-agent-piper`, `dev-agent-mock`, or one of `redis`, `livekit`, `caddy`) into the list of
 * services to run, choosing fallbacks for missing pieces and saying what was left out:
 * no Redis → static routing; no LiveKit → WebSocket transport with the page served by the orchestrator;
 * no Caddy → plain http on localhost; no Piper voice → the mock adapter.
 *
 * @module
 */
import { listInstalledVoices } from "../../workers/piper/catalog.ts";
import { findLivekitServer } from "../setup/livekit.ts";
import { repoPath, which } from "../setup/paths.ts";
import { runProbe } from "./health.ts";
import { type DevSettings, readDevSettings, serviceCatalog, WORKER_TASKS } from "./services.ts";
import type { ServiceSpec } from "./supervisor.ts";

/** What a target runs. */
export interface StackPlan {
  /** Target name, used for the log file name. */
  name: string;
  /** Services in start order (dependencies are also declared per service). */
  services: ServiceSpec[];
  /** Addresses printed on the ready line, as label → URL. */
  urls: [string, string][];
  /** Pieces left out, each with its fallback. */
  leftOut: string[];
  /** Other facts worth a line at start (reused services, chosen voice). */
  notes: string[];
  /** deno.json tasks the services run (checked with {@linkcode missingTasks} before starting). */
  tasks: string[];
}

/** The stacks `deno task <name>` starts, and how each picks its worker adapter. */
export const STACKS = {
  "dev": "from-env",
  "dev-agent-piper": "piper",
  "dev-agent-mock": "mock",
} as const;

/** Single services runnable on their own. */
export const SINGLE_SERVICES = ["redis", "livekit", "caddy"] as const;

type Env = Record<string, string | undefined>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The tasks of `plan` that deno.json does not define (yet). */
export async function missingTasks(plan: StackPlan): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  const defined = new Set(Object.keys(config.tasks ?? {}));
  return plan.tasks.filter((t) => !defined.has(t));
}

/** Chooses the worker's adapter and model for a stack, falling back to the mock adapter without a Piper voice. */
async function chooseWorker(
  mode: (typeof STACKS)[keyof typeof STACKS],
  env: Env,
  plan: StackPlan,
): Promise<{ adapter: keyof typeof WORKER_TASKS; model: string }> {
  const requested = env.DEFAULT_MODEL?.trim() || "";
  const adapter = mode === "from-env" ? (env.ADAPTER_TYPE?.trim() || "piper") : mode;
  if (adapter === "mock") return { adapter, model: requested.startsWith("mock-") ? requested : "mock-440hz" };
  if (adapter === "cosyvoice2") {
    // The worker itself warns and serves the mock adapter while this build has no CosyVoice adapter.
    return { adapter, model: requested || "cosyvoice2-en-base" };
  }
  if (adapter !== "piper") throw new Error(`ADAPTER_TYPE=${adapter} is not one of piper, cosyvoice2, mock`);
  const voices = await listInstalledVoices(env.VOICEPACKS_DIR?.trim() || repoPath("voicepacks"));
  if (voices.length === 0) {
    plan.leftOut.push("Piper voice (none in voicepacks/piper; run deno task setup) -> mock adapter, mock-440hz");
    return { adapter: "mock", model: "mock-440hz" };
  }
  if (requested.startsWith("piper-") && voices.includes(requested)) return { adapter, model: requested };
  if (requested.startsWith("piper-")) plan.notes.push(`voice ${requested} is not installed; using ${voices[0]}`);
  return { adapter, model: voices[0] };
}

async function redisAnswers(s: DevSettings): Promise<boolean> {
  return (await runProbe({ kind: "redis", host: s.redis.host, port: s.redis.port, password: s.redis.password }, 500))
    .healthy;
}

/** Plans `target` against the environment `env`; throws with a readable message for an unknown or impossible one. */
export async function planStack(target: string, env: Env): Promise<StackPlan> {
  const settings = readDevSettings(env);
  if (settings.redis.host === "localhost") settings.redis.host = "127.0.0.1";
  const livekitServer = await findLivekitServer(env);
  const catalog = serviceCatalog(settings, {
    deno: Deno.execPath(),
    livekitServer: livekitServer ?? "livekit-server",
    caddyfile: repoPath("Caddyfile"),
  });
  const plan: StackPlan = { name: target, services: [], urls: [], leftOut: [], notes: [], tasks: [] };
  const hasRedis = (await which("redis-server", env.PATH ?? "")) !== null;
  const hasCaddy = (await which("caddy", env.PATH ?? "")) !== null;

  if ((SINGLE_SERVICES as readonly string[]).includes(target)) {
    const missing = target === "redis" ? !hasRedis : target === "caddy" ? !hasCaddy : !livekitServer;
    if (missing) throw new Error(`${target} is not installed; run \`deno task setup\` (it says how to get it)`);
    const spec = catalog[target as (typeof SINGLE_SERVICES)[number]];
    plan.services.push({ ...spec, dependsOn: [] });
    if (target === "livekit") plan.urls.push(["livekit", `ws://127.0.0.1:${settings.livekit.port}`]);
    if (target === "redis") plan.urls.push(["redis", `redis://${settings.redis.host}:${settings.redis.port}`]);
    if (target === "caddy") plan.urls.push(["web", `https://${settings.caddy.publicHost}:${settings.caddy.webPort}`]);
    return plan;
  }
  if (!(target in STACKS)) {
    const known = [...Object.keys(STACKS), ...SINGLE_SERVICES].join(", ");
    throw new Error(`unknown stack or service "${target}"; known: ${known}`);
  }

  const worker = await chooseWorker(STACKS[target as keyof typeof STACKS], env, plan);
  plan.tasks.push(WORKER_TASKS[worker.adapter], "run-orch");

  const workerSpec = catalog.worker(WORKER_TASKS[worker.adapter]);
  workerSpec.env = { ...workerSpec.env, ADAPTER_TYPE: worker.adapter, DEFAULT_MODEL: worker.model };
  const orch = catalog.orchestrator;
  orch.env = { ...orch.env, DEFAULT_MODEL: worker.model };
  const orchDeps = ["worker"];
  workerSpec.dependsOn = [];

  const redisLocal = LOOPBACK.has(settings.redis.host);
  if (!redisLocal) {
    plan.notes.push(`using the Redis at ${settings.redis.host}:${settings.redis.port} (REDIS_URL)`);
  } else if (await redisAnswers(settings)) {
    plan.notes.push(`a Redis already answers on ${settings.redis.host}:${settings.redis.port}; using it`);
  } else if (hasRedis) {
    plan.services.push(catalog.redis);
    workerSpec.dependsOn.push("redis");
    orchDeps.push("redis");
  } else {
    plan.leftOut.push(`Redis (redis-server not installed) -> static routing to ${orch.env.TTS_WORKER_ADDRESS}`);
  }

  if (livekitServer) {
    plan.services.push(catalog.livekit);
    orchDeps.push("livekit");
    orch.env = {
      ...orch.env,
      LIVEKIT_URL: `ws://127.0.0.1:${settings.livekit.port}`,
      LIVEKIT_API_KEY: settings.livekit.apiKey,
      LIVEKIT_API_SECRET: settings.livekit.apiSecret,
    };
  } else {
    // Empty values override .env in the child (an empty variable means "unset" to the config loader).
    orch.env = { ...orch.env, LIVEKIT_URL: "", LIVEKIT_API_KEY: "", LIVEKIT_API_SECRET: "" };
    plan.leftOut.push("LiveKit (no livekit-server binary) -> WebSocket transport, page served by the orchestrator");
  }

  plan.services.push(workerSpec);
  orch.dependsOn = orchDeps;
  plan.services.push(orch);

  const direct = `http://127.0.0.1:${settings.orchestrator.wsPort}`;
  if (hasCaddy) {
    plan.services.push(catalog.caddy);
    plan.urls.push(["web", `https://${settings.caddy.publicHost}:${settings.caddy.webPort}`]);
    if (livekitServer) plan.urls.push(["livekit", `wss://${settings.caddy.publicHost}:${settings.caddy.livekitPort}`]);
  } else {
    plan.leftOut.push(`Caddy (not installed) -> plain http on localhost: ${direct}`);
    plan.urls.push(["web", direct]);
    if (livekitServer) plan.urls.push(["livekit", `ws://127.0.0.1:${settings.livekit.port}`]);
  }
  plan.urls.push(["health", `http://127.0.0.1:${settings.orchestrator.healthPort}/health`]);
  plan.notes.push(`worker: ${WORKER_TASKS[worker.adapter]} with ${worker.model}`);
  return plan;
}
