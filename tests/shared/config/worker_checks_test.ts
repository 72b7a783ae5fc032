/**
 * Worker config validation parses and checks rules; it does not look at the filesystem (what is installed is the
 * worker's own decision, from its adapter's catalogue: tests/workers/runtime/model_choice_test.ts).
 */
import assert from "node:assert/strict";
import { loadConfig, type WorkerConfig, workerConfigChecks, workerConfigSchema } from "../../../shared/config/mod.ts";
import { okOf, problemFor, problemsOf } from "./helpers.ts";

const noGpu = () => ({ available: false, gpus: [], detail: "test: no GPU" });

function loadWorker(env: Record<string, string>) {
  return loadConfig(workerConfigSchema, env, { service: "worker", checks: workerConfigChecks(noGpu) });
}

Deno.test("worker config keeps the requested model whatever is installed (no voicepacks folder at all)", () => {
  const env = { VOICEPACKS_DIR: "/nonexistent/voicepacks", STRICT_CONFIG: "true" };
  const { config, warnings } = okOf(loadWorker(env));
  assert.deepEqual(warnings, []);
  assert.equal(config.ADAPTER_TYPE, "piper");
  assert.equal(config.DEFAULT_MODEL, "piper-en-us-lessac-medium");
});

Deno.test("PIPER_DEVICE=cuda on a piper worker without a GPU is an error", () => {
  const p = problemFor(problemsOf(loadWorker({ PIPER_DEVICE: "cuda" })), "PIPER_DEVICE");
  assert.match(p.problem, /no GPU/);
  const typed: WorkerConfig = okOf(loadWorker({})).config;
  assert.equal(typed.PIPER_DEVICE, "cpu");
});
