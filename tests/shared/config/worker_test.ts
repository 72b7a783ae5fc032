import assert from "node:assert/strict";
import { loadConfig, type WorkerConfig, workerConfigSchema } from "../../../shared/config/mod.ts";
import { okOf, problemFor, problemsOf } from "./helpers.ts";

// Schema-only loads (no voicepack/GPU checks): those have their own tests.
const load = (env: Record<string, string>) => loadConfig(workerConfigSchema, env, { service: "worker" });

Deno.test("worker defaults: gRPC on loopback 127.0.0.1:7002, piper with lessac, TTL of three heartbeats", () => {
  const { config } = okOf(load({}));
  assert.equal(config.WORKER_GRPC_HOST, "127.0.0.1");
  assert.equal(config.WORKER_GRPC_PORT, 7002);
  assert.equal(config.ADAPTER_TYPE, "piper");
  assert.equal(config.DEFAULT_MODEL, "piper-en-us-lessac-medium");
  assert.deepEqual(config.PRELOAD_MODEL_IDS, []);
  assert.equal(config.WORKER_HEARTBEAT_MS, 2000);
  assert.equal(config.WORKER_TTL_MS, 6000);
  assert.equal(config.WORKER_ADVERTISE_ADDRESS, "127.0.0.1:7002");
  assert.match(config.WORKER_NAME, /^tts-piper-.+-7002$/);
  assert.equal(config.LOG_LEVEL, "info");
  assert.equal(config.LOG_FORMAT, "text");
  assert.equal(config.REDIS_URL, "redis://127.0.0.1:6379");
  assert.equal(config.STRICT_CONFIG, false);
});

Deno.test("worker values are coerced from strings, lists split on commas, booleans accept true/1/yes", () => {
  const { config } = okOf(load({
    WORKER_GRPC_PORT: "7100",
    WORKER_GRPC_HOST: "10.1.2.3",
    ADAPTER_TYPE: "MOCK",
    DEFAULT_MODEL: "mock-440hz",
    PRELOAD_MODEL_IDS: " mock-220hz, ,mock-880hz,mock-220hz",
    WORKER_HEARTBEAT_MS: "500",
    STRICT_CONFIG: "yes",
  }));
  const expected: Partial<WorkerConfig> = {
    WORKER_GRPC_PORT: 7100,
    ADAPTER_TYPE: "mock",
    PRELOAD_MODEL_IDS: ["mock-220hz", "mock-880hz"],
    WORKER_TTL_MS: 1500,
    WORKER_ADVERTISE_ADDRESS: "10.1.2.3:7100",
    STRICT_CONFIG: true,
  };
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(config[k as keyof WorkerConfig], v, k);
});

Deno.test("an empty value counts as unset and takes the default", () => {
  const { config } = okOf(load({ WORKER_GRPC_PORT: "", WORKER_TTL_MS: " " }));
  assert.equal(config.WORKER_GRPC_PORT, 7002);
  assert.equal(config.WORKER_TTL_MS, 6000);
});

Deno.test("an unknown ADAPTER_TYPE is an error listing the accepted values", () => {
  const p = problemFor(problemsOf(load({ ADAPTER_TYPE: "espeak" })), "ADAPTER_TYPE");
  assert.equal(p.value, "espeak");
  assert.equal(p.severity, "error");
  assert.match(p.problem, /piper \| cosyvoice2 \| mock/);
  assert.match(p.fix, /piper, cosyvoice2, mock/);
});

Deno.test("DEFAULT_MODEL of another adapter is an error naming both variables and the fix", () => {
  const p = problemFor(problemsOf(load({ ADAPTER_TYPE: "piper", DEFAULT_MODEL: "mock-440hz" })), "DEFAULT_MODEL");
  assert.equal(p.value, "mock-440hz");
  assert.match(p.problem, /ADAPTER_TYPE=piper/);
  assert.match(p.fix, /piper-\*/);
  assert.match(p.fix, /ADAPTER_TYPE=mock/);
});

Deno.test("DEFAULT_MODEL with no known prefix or with a path in it is an error", () => {
  assert.match(
    problemFor(problemsOf(load({ DEFAULT_MODEL: "lessac" })), "DEFAULT_MODEL").problem,
    /ADAPTER_TYPE=piper/,
  );
  assert.match(
    problemFor(problemsOf(load({ DEFAULT_MODEL: "piper-../../etc" })), "DEFAULT_MODEL").problem,
    /no slashes/,
  );
});

Deno.test("PRELOAD_MODEL_IDS of another adapter is an error naming the offending ids", () => {
  const p = problemFor(
    problemsOf(load({ PRELOAD_MODEL_IDS: "piper-en-us-joe-medium,mock-440hz" })),
    "PRELOAD_MODEL_IDS",
  );
  assert.match(p.problem, /mock-440hz/);
  assert.doesNotMatch(p.problem, /joe/);
});

Deno.test("bad ports are errors: not a number, zero, too big", () => {
  for (const bad of ["abc", "0", "65536", "70.5", "-1"]) {
    const p = problemFor(problemsOf(load({ WORKER_GRPC_PORT: bad })), "WORKER_GRPC_PORT");
    assert.equal(p.value, bad);
    assert.match(p.problem, /1 to 65535/);
  }
});

Deno.test("bad numbers are errors naming the unit and the range", () => {
  assert.match(
    problemFor(problemsOf(load({ MODEL_IDLE_TTL_MS: "10m" })), "MODEL_IDLE_TTL_MS").problem,
    /whole number of ms/,
  );
  assert.match(
    problemFor(problemsOf(load({ MAX_RESIDENT_MODELS: "0" })), "MAX_RESIDENT_MODELS").problem,
    /from 1 to 64/,
  );
  assert.match(problemFor(problemsOf(load({ WORKER_HEARTBEAT_MS: "10" })), "WORKER_HEARTBEAT_MS").problem, /≥ 100/);
});

Deno.test("a TTL not longer than the heartbeat is an error", () => {
  const p = problemFor(problemsOf(load({ WORKER_HEARTBEAT_MS: "2000", WORKER_TTL_MS: "2000" })), "WORKER_TTL_MS");
  assert.match(p.problem, /WORKER_HEARTBEAT_MS=2000/);
});

Deno.test("WORKER_ADVERTISE_ADDRESS must be host:port and not a wildcard", () => {
  assert.match(
    problemFor(problemsOf(load({ WORKER_ADVERTISE_ADDRESS: "tts-1" })), "WORKER_ADVERTISE_ADDRESS").problem,
    /host:port/,
  );
  assert.match(
    problemFor(problemsOf(load({ WORKER_ADVERTISE_ADDRESS: "0.0.0.0:7002" })), "WORKER_ADVERTISE_ADDRESS").problem,
    /wildcard/,
  );
  assert.equal(
    okOf(load({ WORKER_ADVERTISE_ADDRESS: "[fd00::5]:7002" })).config.WORKER_ADVERTISE_ADDRESS,
    "[fd00::5]:7002",
  );
});

Deno.test("a bad REDIS_URL is an error, and its password never appears in the report", () => {
  const p = problemFor(problemsOf(load({ REDIS_URL: "http://:hunter2@cache:6379" })), "REDIS_URL");
  assert.match(p.problem, /redis or rediss/);
  assert.equal(p.value, "http://:***@cache:6379");
  assert.match(problemFor(problemsOf(load({ REDIS_URL: "not a url" })), "REDIS_URL").problem, /not a valid URL/);
  assert.equal(
    okOf(load({ REDIS_URL: "redis://:s3cret@cache:6379/2" })).config.REDIS_URL,
    "redis://:s3cret@cache:6379/2",
  );
});

Deno.test("PIPER_VOICE_URL_TEMPLATE must be a URL template with {ext}", () => {
  assert.match(
    problemFor(problemsOf(load({ PIPER_VOICE_URL_TEMPLATE: "https://x/{name}.onnx" })), "PIPER_VOICE_URL_TEMPLATE")
      .problem,
    /\{ext\}/,
  );
  assert.match(
    problemFor(problemsOf(load({ PIPER_VOICE_URL_TEMPLATE: "voices/{name}{ext}" })), "PIPER_VOICE_URL_TEMPLATE")
      .problem,
    /URL template/,
  );
});

Deno.test("several problems are reported together, each naming its variable and value", () => {
  const problems = problemsOf(load({
    ADAPTER_TYPE: "espeak",
    WORKER_GRPC_PORT: "99999",
    REDIS_URL: "redis//nohost",
    LOG_LEVEL: "verbose",
    WORKER_MAX_SESSIONS: "many",
  }));
  assert.deepEqual(
    problems.map((p) => p.variable).sort(),
    ["ADAPTER_TYPE", "LOG_LEVEL", "REDIS_URL", "WORKER_GRPC_PORT", "WORKER_MAX_SESSIONS"],
  );
  for (const p of problems) {
    assert.equal(p.severity, "error");
    assert.ok(p.value !== undefined && p.problem.length > 0 && p.fix.length > 0);
  }
});

Deno.test("a cross-field problem is reported next to an unrelated bad value", () => {
  const problems = problemsOf(
    load({ ADAPTER_TYPE: "mock", DEFAULT_MODEL: "piper-en-us-joe-medium", LOG_FORMAT: "xml" }),
  );
  assert.deepEqual(problems.map((p) => p.variable).sort(), ["DEFAULT_MODEL", "LOG_FORMAT"]);
});

Deno.test("WORKER_METRICS_PORT takes a port, 0 for a free one, or off; the listener binds WORKER_GRPC_HOST unless told", () => {
  assert.equal(okOf(load({})).config.WORKER_METRICS_PORT, 0);
  assert.equal(okOf(load({})).config.WORKER_METRICS_HOST, "127.0.0.1");
  const fixed = okOf(load({ WORKER_METRICS_PORT: "9464", WORKER_GRPC_HOST: "10.1.2.3" })).config;
  assert.equal(fixed.WORKER_METRICS_PORT, 9464);
  assert.equal(fixed.WORKER_METRICS_HOST, "10.1.2.3");
  assert.equal(okOf(load({ WORKER_METRICS_PORT: "OFF" })).config.WORKER_METRICS_PORT, "off");
  assert.equal(okOf(load({ WORKER_METRICS_HOST: "127.0.0.1" })).config.WORKER_METRICS_HOST, "127.0.0.1");
  for (const bad of ["70000", "-1", "metrics"]) {
    const problem = problemFor(problemsOf(load({ WORKER_METRICS_PORT: bad })), "WORKER_METRICS_PORT");
    assert.match(problem.problem, /from 0 to 65535, or off/);
  }
  assert.ok(problemFor(problemsOf(load({ WORKER_METRICS_HOST: "http://x" })), "WORKER_METRICS_HOST"));
});
