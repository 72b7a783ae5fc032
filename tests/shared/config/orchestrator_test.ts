import assert from "node:assert/strict";
import { loadConfig, orchestratorConfigChecks, orchestratorConfigSchema } from "../../../shared/config/mod.ts";
import { okOf, problemFor, problemsOf } from "./helpers.ts";

const load = (env: Record<string, string>) => loadConfig(orchestratorConfigSchema, env, { service: "orchestrator" });

Deno.test("orchestrator defaults: ports 8080/8081, whisper tiny on auto, echo responder, dev mode without keys", () => {
  const { config } = okOf(load({}));
  assert.equal(config.ORCHESTRATOR_WS_PORT, 8080);
  assert.equal(config.ORCHESTRATOR_HEALTH_PORT, 8081);
  assert.equal(config.ASR_ENGINE, "whisper");
  assert.equal(config.ASR_DEVICE, "auto");
  assert.equal(config.ASR_MODEL_SIZE, "tiny");
  assert.equal(config.VAD_THRESHOLD, 0.5);
  assert.equal(config.RESPONDER, "echo");
  assert.deepEqual(config.ORCHESTRATOR_API_KEYS, []);
  assert.equal(config.ROUTING_POLICY, "least_loaded");
  assert.equal(config.TTS_WORKER_ADDRESS, undefined);
  assert.equal(config.LIVEKIT_URL, undefined);
});

Deno.test("bad enums name the accepted values: ASR_DEVICE, ASR_MODEL_SIZE, ASR_ENGINE, ROUTING_POLICY, RESPONDER", () => {
  const problems = problemsOf(load({
    ASR_DEVICE: "gpu",
    ASR_MODEL_SIZE: "large",
    ASR_ENGINE: "vosk",
    ROUTING_POLICY: "random",
    RESPONDER: "gpt",
  }));
  assert.match(problemFor(problems, "ASR_DEVICE").problem, /auto \| cpu \| cuda/);
  assert.match(problemFor(problems, "ASR_MODEL_SIZE").problem, /tiny \| base \| small \| medium/);
  assert.match(problemFor(problems, "ASR_ENGINE").problem, /whisper \| pocketsphinx/);
  assert.match(problemFor(problems, "ROUTING_POLICY").problem, /least_loaded/);
  assert.match(problemFor(problems, "RESPONDER").problem, /echo \| llm/);
});

Deno.test("RESPONDER=llm without LLM_BASE_URL and LLM_MODEL reports both", () => {
  const problems = problemsOf(load({ RESPONDER: "llm" }));
  assert.match(problemFor(problems, "LLM_BASE_URL").problem, /RESPONDER=llm/);
  assert.match(problemFor(problems, "LLM_MODEL").problem, /RESPONDER=llm/);
  const { config } = okOf(load({ RESPONDER: "llm", LLM_BASE_URL: "http://127.0.0.1:11434/v1", LLM_MODEL: "qwen" }));
  assert.equal(config.LLM_MODEL, "qwen");
});

Deno.test("bad URLs are errors: LLM_BASE_URL must be http(s), LIVEKIT_URL ws(s) or http(s)", () => {
  assert.match(
    problemFor(problemsOf(load({ LLM_BASE_URL: "localhost:11434" })), "LLM_BASE_URL").problem,
    /http or https/,
  );
  assert.match(problemFor(problemsOf(load({ LLM_BASE_URL: "::" })), "LLM_BASE_URL").problem, /not a valid URL/);
  const p = problemFor(
    problemsOf(load({ LIVEKIT_URL: "ftp://lk", LIVEKIT_API_KEY: "k", LIVEKIT_API_SECRET: "s" })),
    "LIVEKIT_URL",
  );
  assert.match(p.problem, /ws or wss/);
});

Deno.test("TTS_WORKER_ADDRESS must be host:port", () => {
  for (const bad of ["127.0.0.1", "http://w:7002", "w:0", "w:70000"]) {
    assert.match(problemFor(problemsOf(load({ TTS_WORKER_ADDRESS: bad })), "TTS_WORKER_ADDRESS").problem, /host:port/);
  }
  assert.equal(okOf(load({ TTS_WORKER_ADDRESS: "tts-piper:7002" })).config.TTS_WORKER_ADDRESS, "tts-piper:7002");
});

Deno.test("the same port for WebSocket and health is an error", () => {
  const p = problemFor(
    problemsOf(load({ ORCHESTRATOR_WS_PORT: "9000", ORCHESTRATOR_HEALTH_PORT: "9000" })),
    "ORCHESTRATOR_HEALTH_PORT",
  );
  assert.match(p.problem, /ORCHESTRATOR_WS_PORT/);
});

Deno.test("a short ORCHESTRATOR_TOKEN_SECRET is an error that never prints the secret", () => {
  const p = problemFor(problemsOf(load({ ORCHESTRATOR_TOKEN_SECRET: "tooshort" })), "ORCHESTRATOR_TOKEN_SECRET");
  assert.match(p.problem, /at least 32/);
  assert.ok(!JSON.stringify(p).includes("tooshort"));
  okOf(load({ ORCHESTRATOR_TOKEN_SECRET: "x".repeat(32) }));
});

Deno.test("LiveKit settings come as a set of three", () => {
  const problems = problemsOf(load({ LIVEKIT_URL: "wss://lk.example.com" }));
  assert.deepEqual(problems.map((p) => p.variable).sort(), ["LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"]);
});

Deno.test("VAD_THRESHOLD outside 0..1 and a non-numeric VAD value are errors", () => {
  assert.match(problemFor(problemsOf(load({ VAD_THRESHOLD: "1.5" })), "VAD_THRESHOLD").problem, /from 0 to 1/);
  assert.match(
    problemFor(problemsOf(load({ VAD_MIN_SILENCE_MS: "0.3s" })), "VAD_MIN_SILENCE_MS").problem,
    /whole number/,
  );
});

Deno.test("pocketsphinx on cuda is an error", () => {
  const p = problemFor(problemsOf(load({ ASR_ENGINE: "pocketsphinx", ASR_DEVICE: "cuda" })), "ASR_DEVICE");
  assert.match(p.problem, /CPU only/);
});

Deno.test("API keys are a comma list", () => {
  assert.deepEqual(okOf(load({ ORCHESTRATOR_API_KEYS: "a1, b2" })).config.ORCHESTRATOR_API_KEYS, ["a1", "b2"]);
});

Deno.test("no API keys loads in development mode with a warning; keys silence it", () => {
  const checks = orchestratorConfigChecks(() => ({ available: false, gpus: [], detail: "test" }));
  const dev = okOf(loadConfig(orchestratorConfigSchema, {}, { service: "orchestrator", checks }));
  assert.equal(dev.warnings.length, 1);
  assert.match(dev.warnings[0], /ORCHESTRATOR_API_KEYS.*development mode/);
  const prod = okOf(
    loadConfig(orchestratorConfigSchema, { ORCHESTRATOR_API_KEYS: "k1-long-enough-key" }, {
      service: "orchestrator",
      checks,
    }),
  );
  assert.deepEqual(prod.warnings, []);
});

Deno.test("the final ASR window defaults to the fitted one; a bad window or padding names the variable", () => {
  const { config } = okOf(load({}));
  assert.equal(config.ASR_FINAL_WINDOW, "fit");
  assert.equal(config.ASR_FIT_PADDING_FRAMES, 1500);
  assert.equal(okOf(load({ ASR_FINAL_WINDOW: "full" })).config.ASR_FINAL_WINDOW, "full");
  const problems = problemsOf(load({ ASR_FINAL_WINDOW: "wide", ASR_FIT_PADDING_FRAMES: "5000" }));
  assert.match(problemFor(problems, "ASR_FINAL_WINDOW").problem, /fit \| full/);
  assert.match(problemFor(problems, "ASR_FIT_PADDING_FRAMES").problem, /3000/);
});
