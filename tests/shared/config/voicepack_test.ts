import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkVoicepack,
  listInstalledModels,
  loadConfig,
  type WorkerConfig,
  workerConfigChecks,
  workerConfigSchema,
} from "../../../shared/config/mod.ts";
import { okOf, problemFor, problemsOf } from "./helpers.ts";

const noGpu = () => ({ available: false, gpus: [], detail: "test: no GPU" });

/** A voicepacks folder with the given piper voices (each a fake .onnx + .onnx.json pair). */
function voicepacks(piperVoices: string[], extra: (root: string) => void = () => {}): string {
  const root = Deno.makeTempDirSync({ prefix: "voicepacks-" });
  for (const v of piperVoices) {
    Deno.mkdirSync(join(root, "piper", v), { recursive: true });
    Deno.writeTextFileSync(join(root, "piper", v, `${v}.onnx`), "onnx");
    Deno.writeTextFileSync(join(root, "piper", v, `${v}.onnx.json`), "{}");
  }
  extra(root);
  return root;
}

function loadWorker(env: Record<string, string>) {
  return loadConfig(workerConfigSchema, env, { service: "worker", checks: workerConfigChecks(noGpu) });
}

Deno.test("an installed piper voicepack passes without warnings", () => {
  const root = voicepacks(["en-us-lessac-medium"]);
  try {
    const { config, warnings } = okOf(loadWorker({ VOICEPACKS_DIR: root }));
    assert.deepEqual(warnings, []);
    assert.equal(config.DEFAULT_MODEL, "piper-en-us-lessac-medium");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a missing voicepack warns, says how to fetch it, and falls back to the first installed voice", () => {
  const root = voicepacks(["en-us-ryan-high", "en-us-joe-medium"]);
  try {
    const { config, warnings } = okOf(loadWorker({ VOICEPACKS_DIR: root }));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /voicepack not found for piper-en-us-lessac-medium at .*piper\/en-us-lessac-medium/);
    assert.match(warnings[0], /deno task voices:fetch piper-en-us-lessac-medium/);
    assert.match(warnings[0], /falling back to piper-en-us-joe-medium/);
    assert.equal(config.ADAPTER_TYPE, "piper");
    assert.equal(config.DEFAULT_MODEL, "piper-en-us-joe-medium");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an .onnx without its .onnx.json is not a voicepack", () => {
  const root = voicepacks([], (r) => {
    Deno.mkdirSync(join(r, "piper", "en-us-lessac-medium"), { recursive: true });
    Deno.writeTextFileSync(join(r, "piper", "en-us-lessac-medium", "en_US-lessac-medium.onnx"), "onnx");
  });
  try {
    assert.deepEqual(listInstalledModels(root, "piper"), []);
    const { warnings } = okOf(loadWorker({ VOICEPACKS_DIR: root }));
    assert.match(warnings[0], /voicepack not found/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("with no voice of the adapter installed the worker falls back to the mock adapter", () => {
  const root = voicepacks([]);
  try {
    const { config, warnings } = okOf(
      loadWorker({ VOICEPACKS_DIR: root, PRELOAD_MODEL_IDS: "piper-en-us-joe-medium" }),
    );
    assert.match(warnings[0], /falling back to the mock adapter with mock-440hz/);
    assert.equal(config.ADAPTER_TYPE, "mock");
    assert.equal(config.DEFAULT_MODEL, "mock-440hz");
    assert.deepEqual(config.PRELOAD_MODEL_IDS, []);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("STRICT_CONFIG=true makes a missing voicepack an error", () => {
  const root = voicepacks(["en-us-joe-medium"]);
  try {
    const p = problemFor(problemsOf(loadWorker({ VOICEPACKS_DIR: root, STRICT_CONFIG: "true" })), "DEFAULT_MODEL");
    assert.equal(p.severity, "error");
    assert.match(p.problem, /voicepack not found for piper-en-us-lessac-medium/);
    assert.match(p.fix, /voices:fetch piper-en-us-lessac-medium/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("cosyvoice2 voicepacks live in cosyvoice/<id without prefix>/ with a voicepack.json", () => {
  const root = voicepacks([], (r) => {
    Deno.mkdirSync(join(r, "cosyvoice", "en-base"), { recursive: true });
    Deno.writeTextFileSync(join(r, "cosyvoice", "en-base", "voicepack.json"), "{}");
  });
  try {
    const env = { VOICEPACKS_DIR: root, ADAPTER_TYPE: "cosyvoice2", DEFAULT_MODEL: "cosyvoice2-en-base" };
    assert.deepEqual(okOf(loadWorker(env)).warnings, []);
    const missing = okOf(loadWorker({ ...env, DEFAULT_MODEL: "cosyvoice2-zh-base" }));
    assert.match(missing.warnings[0], /cosyvoice\/zh-base/);
    assert.equal(missing.config.DEFAULT_MODEL, "cosyvoice2-en-base");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("the mock adapter needs no voicepack", () => {
  const config = {
    ADAPTER_TYPE: "mock",
    DEFAULT_MODEL: "mock-440hz",
    PRELOAD_MODEL_IDS: [],
    VOICEPACKS_DIR: "/nonexistent",
    STRICT_CONFIG: true,
  } as const;
  assert.deepEqual(checkVoicepack({ ...config, PRELOAD_MODEL_IDS: [] }).problems, []);
});

Deno.test("a bad value and a missing voicepack are reported in the same pass", () => {
  const root = voicepacks([]);
  try {
    const problems = problemsOf(loadWorker({ VOICEPACKS_DIR: root, STRICT_CONFIG: "1", WORKER_GRPC_PORT: "x" }));
    assert.deepEqual(problems.map((p) => p.variable).sort(), ["DEFAULT_MODEL", "WORKER_GRPC_PORT"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("PIPER_DEVICE=cuda on a piper worker without a GPU is an error", () => {
  const root = voicepacks(["en-us-lessac-medium"]);
  try {
    const p = problemFor(problemsOf(loadWorker({ VOICEPACKS_DIR: root, PIPER_DEVICE: "cuda" })), "PIPER_DEVICE");
    assert.match(p.problem, /no GPU/);
    const typed: WorkerConfig = okOf(loadWorker({ VOICEPACKS_DIR: root })).config;
    assert.equal(typed.PIPER_DEVICE, "cpu");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
