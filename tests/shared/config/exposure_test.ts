import assert from "node:assert/strict";
import {
  loadConfig,
  orchestratorConfigChecks,
  orchestratorConfigSchema,
  workerConfigSchema,
} from "../../../shared/config/mod.ts";
import { checkWorkerExposure } from "../../../shared/config/exposure.ts";
import { nearestKnownVariable, unknownVariableWarnings } from "../../../shared/config/unknown_variables.ts";
import { okOf, problemFor, problemsOf } from "./helpers.ts";

const noGpu = () => ({ available: false, gpus: [], detail: "test" });
const orchestrator = (env: Record<string, string>) =>
  loadConfig(orchestratorConfigSchema, env, { service: "orchestrator", checks: orchestratorConfigChecks(noGpu) });
const worker = (env: Record<string, string>) =>
  loadConfig(workerConfigSchema, { ADAPTER_TYPE: "mock", DEFAULT_MODEL: "mock-440hz", ...env }, {
    service: "worker",
    checks: [checkWorkerExposure()],
  });

const STRONG_KEY = "k".repeat(24);
const STRONG_SECRET = "s".repeat(40);

Deno.test("bare-metal defaults bind to loopback, and zero config starts (development mode, one warning)", () => {
  const dev = okOf(orchestrator({}));
  assert.equal(dev.config.ORCHESTRATOR_HOST, "127.0.0.1");
  assert.equal(dev.warnings.length, 1);
  assert.match(dev.warnings[0], /ORCHESTRATOR_API_KEYS.*development mode/);
  assert.equal(okOf(worker({})).config.WORKER_GRPC_HOST, "127.0.0.1");
});

Deno.test("an exposed orchestrator without API keys refuses to start, naming the fix", () => {
  const p = problemFor(problemsOf(orchestrator({ ORCHESTRATOR_HOST: "0.0.0.0" })), "ORCHESTRATOR_API_KEYS");
  assert.equal(p.severity, "error");
  assert.match(p.problem, /beyond loopback/);
  assert.match(p.fix, /16\+ characters/);
});

Deno.test("an exposed orchestrator refuses short API keys and weak or well-known LiveKit secrets", () => {
  const short = problemsOf(orchestrator({ ORCHESTRATOR_HOST: "0.0.0.0", ORCHESTRATOR_API_KEYS: "abc" }));
  assert.match(problemFor(short, "ORCHESTRATOR_API_KEYS").problem, /shorter than 16/);
  const livekit = { LIVEKIT_URL: "ws://lk:7880", LIVEKIT_API_KEY: "devkey" };
  for (const secret of ["devsecret-local-development-only-0123456789", "secret", "short-but-not-known"]) {
    const problems = problemsOf(orchestrator({
      ORCHESTRATOR_HOST: "0.0.0.0",
      ORCHESTRATOR_API_KEYS: STRONG_KEY,
      ...livekit,
      LIVEKIT_API_SECRET: secret,
    }));
    assert.match(problemFor(problems, "LIVEKIT_API_SECRET").problem, /well-known|at least 32/);
  }
  okOf(orchestrator({
    ORCHESTRATOR_HOST: "0.0.0.0",
    ORCHESTRATOR_API_KEYS: STRONG_KEY,
    ...livekit,
    LIVEKIT_API_SECRET: STRONG_SECRET,
  }));
  // On loopback the dev runner's well-known pair is fine (only this machine can reach it).
  okOf(orchestrator({ ...livekit, LIVEKIT_API_SECRET: "devsecret-local-development-only-0123456789" }));
});

Deno.test("Redis beyond loopback needs a password, on both services", () => {
  const remote = { REDIS_URL: "redis://10.0.0.9:6379" };
  assert.match(problemFor(problemsOf(orchestrator(remote)), "REDIS_URL").problem, /without a password/);
  assert.match(problemFor(problemsOf(worker(remote)), "REDIS_URL").problem, /without a password/);
  okOf(orchestrator({ REDIS_URL: "redis://:pw-long-enough@10.0.0.9:6379" }));
  okOf(worker({ REDIS_URL: "redis://127.0.0.1:6379" }));
});

Deno.test("an exposed worker needs WORKER_RPC_SECRET; a weak secret is refused", () => {
  const p = problemFor(problemsOf(worker({ WORKER_GRPC_HOST: "0.0.0.0" })), "WORKER_RPC_SECRET");
  assert.match(p.fix, /openssl rand -hex 32/);
  okOf(worker({ WORKER_GRPC_HOST: "0.0.0.0", WORKER_RPC_SECRET: STRONG_SECRET }));
  assert.match(problemFor(problemsOf(worker({ WORKER_RPC_SECRET: "short" })), "WORKER_RPC_SECRET").problem, /32/);
});

Deno.test("ALLOW_INSECURE_DEV=true turns each refusal into a loud warning", () => {
  const loaded = okOf(orchestrator({ ORCHESTRATOR_HOST: "0.0.0.0", ALLOW_INSECURE_DEV: "true" }));
  assert.ok(loaded.warnings.some((w) => /ALLOW_INSECURE_DEV=true/.test(w)), loaded.warnings.join("\n"));
  okOf(worker({ WORKER_GRPC_HOST: "0.0.0.0", REDIS_URL: "redis://redis:6379", ALLOW_INSECURE_DEV: "1" }));
});

Deno.test("WEB_PUBLIC needs PUBLIC_ORIGIN; origins and proxy ranges are validated", () => {
  assert.match(problemFor(problemsOf(orchestrator({ WEB_PUBLIC: "true" })), "PUBLIC_ORIGIN").problem, /WEB_PUBLIC/);
  const ok = okOf(orchestrator({ WEB_PUBLIC: "true", PUBLIC_ORIGIN: "https://Voice.Example.com:8443/" })).config;
  assert.deepEqual(ok.PUBLIC_ORIGIN, ["https://voice.example.com:8443"]);
  assert.match(
    problemFor(problemsOf(orchestrator({ PUBLIC_ORIGIN: "voice.example.com" })), "PUBLIC_ORIGIN").fix,
    /https/,
  );
  assert.match(
    problemFor(problemsOf(orchestrator({ TRUSTED_PROXIES: "10.0.0.0/8,bogus" })), "TRUSTED_PROXIES").problem,
    /bogus/,
  );
  assert.deepEqual(okOf(orchestrator({})).config.TRUSTED_PROXIES, ["127.0.0.1/8", "::1"]);
});

Deno.test("the seed's DEBUG and ASR_COMPUTE_TYPE are read, or refused with a message", () => {
  assert.equal(okOf(orchestrator({ DEBUG: "true" })).config.DEBUG, true);
  assert.equal(okOf(orchestrator({ ASR_COMPUTE_TYPE: "float32" })).config.ASR_COMPUTE_TYPE, "float32");
  const p = problemFor(problemsOf(orchestrator({ ASR_COMPUTE_TYPE: "int8" })), "ASR_COMPUTE_TYPE");
  assert.match(p.problem, /float32/);
  assert.match(problemFor(problemsOf(orchestrator({ DEBUG: "verbose" })), "DEBUG").problem, /true or false/);
});

Deno.test("an unknown variable with a project prefix is warned about, naming the nearest known one", () => {
  const warnings = unknownVariableWarnings({
    ORCHESTRATOR_API_KEY: "x",
    WORKER_MAX_SESION: "3",
    LLM_MAXTOKENS: "9",
    PATH: "/bin",
    HOME: "/root",
    LIVEKIT_KEYS: "k: s",
  });
  assert.equal(warnings.length, 3, warnings.join("\n"));
  assert.match(warnings.find((w) => w.startsWith("ORCHESTRATOR_API_KEY "))!, /did you mean ORCHESTRATOR_API_KEYS\?/);
  assert.match(warnings.find((w) => w.startsWith("WORKER_MAX_SESION "))!, /WORKER_MAX_SESSIONS/);
  assert.equal(nearestKnownVariable("LLM_MAXTOKENS"), "LLM_MAX_TOKENS");
});
