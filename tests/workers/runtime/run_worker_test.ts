import assert from "node:assert/strict";
import { pinAdapterEnv } from "../../../workers/runtime/run_worker.ts";
import { WorkerProcess } from "../../../harness/task_process.ts";
import { TestClient, waitFor } from "./worker_harness.ts";

// A voicepacks folder that does not exist, inside the folder the task may read.
const NO_VOICEPACKS = { VOICEPACKS_DIR: "voicepacks/no-such-dir-for-tests", REDIS_URL: "redis://127.0.0.1:1" };

Deno.test("each worker entry point pins its adapter family and says what it ignored", () => {
  const { env, notes } = pinAdapterEnv(
    { ADAPTER_TYPE: "piper", DEFAULT_MODEL: "piper-en-us-lessac-medium", PRELOAD_MODEL_IDS: "mock-220hz, piper-x" },
    "mock",
    "mock-440hz",
  );
  assert.equal(env.ADAPTER_TYPE, "mock");
  assert.equal(env.DEFAULT_MODEL, "mock-440hz");
  assert.equal(env.PRELOAD_MODEL_IDS, "mock-220hz");
  assert.equal(notes.length, 3);
  assert.deepEqual(
    pinAdapterEnv({ DEFAULT_MODEL: "mock-880hz" }, "mock", "mock-440hz").env.DEFAULT_MODEL,
    "mock-880hz",
  );
  assert.deepEqual(pinAdapterEnv({}, "mock", "mock-440hz").notes, []);
});

Deno.test("run-tts-cosyvoice without any CosyVoice voicepack warns and serves the mock adapter", async () => {
  const worker = WorkerProcess.start("run-tts-cosyvoice", NO_VOICEPACKS);
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await waitFor(() => client.health().then((s) => s === "SERVING", () => false), "health SERVING", 60_000)
      .catch(async (e) => {
        await worker.close();
        throw new Error(`${e}\n${worker.output}`);
      });
    assert.match(worker.output, /DEFAULT_MODEL=cosyvoice2-en-base: voicepack not found for cosyvoice2-en-base/);
    assert.match(worker.output, /deno task cosyvoice:export/);
    assert.match(worker.output, /falling back to the mock adapter/);
    const caps = await client.capabilities();
    assert.equal(caps.adapter, "mock");
    assert.equal(caps.defaultModel, "mock-440hz");
    worker.kill("SIGTERM");
    assert.equal((await worker.close(false)).code, 0);
  } finally {
    client.close();
    await worker.close();
  }
});

Deno.test("a worker with bad configuration or STRICT_CONFIG and no voicepack exits 1 naming every problem", async () => {
  const strict = WorkerProcess.start("run-tts-cosyvoice", { ...NO_VOICEPACKS, STRICT_CONFIG: "true" });
  assert.equal((await strict.close(false)).code, 1);
  assert.match(strict.output, /DEFAULT_MODEL/);
  assert.match(strict.output, /STRICT_CONFIG=true forbids the fallback/);

  const bad = WorkerProcess.start("run-tts-mock", {
    ...NO_VOICEPACKS,
    WORKER_MAX_SESSIONS: "lots",
    MODEL_IDLE_TTL_MS: "-5",
  });
  assert.equal((await bad.close(false)).code, 1);
  assert.match(bad.output, /WORKER_MAX_SESSIONS/);
  assert.match(bad.output, /MODEL_IDLE_TTL_MS/);

  const badModel = WorkerProcess.start("run-tts-mock", { ...NO_VOICEPACKS, DEFAULT_MODEL: "mock-5hz" });
  assert.equal((await badModel.close(false)).code, 1);
  assert.match(badModel.output, /mock-5hz/);
});
