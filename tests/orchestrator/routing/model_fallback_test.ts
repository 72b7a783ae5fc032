/**
 * A worker configured for a model it cannot serve (no voicepack) publishes `modelFallback` in its registry record;
 * the router resolves sessions asking for that model to what the worker really serves, with its reason, unless
 * `STRICT_CONFIG` refuses stand-ins or a worker really serves the model.
 */
import assert from "node:assert/strict";
import { NoWorkerAvailableError, WorkerRouter } from "../../../orchestrator/routing/worker_router.ts";
import { readAll, speak, startCluster, waitFor } from "./harness.ts";
import { startMockWorker } from "./mock_workers.ts";

const REQUESTED = "cosyvoice2-en-base";
const REASON = "voicepack not found for cosyvoice2-en-base; falling back to the mock adapter with mock-440hz";

Deno.test("a worker's modelFallback reaches the router: the stand-in is served, with the worker's reason", async () => {
  const cluster = await startCluster(["fallback-w"], { modelFallback: { requested: REQUESTED, reason: REASON } });
  const router = new WorkerRouter({ directory: cluster.directory, defaultModel: REQUESTED });
  const strict = new WorkerRouter({ directory: cluster.directory, defaultModel: REQUESTED, refuseModelFallback: true });
  try {
    assert.deepEqual(cluster.directory.get("fallback-w")?.modelFallback, {
      requested: REQUESTED,
      served: "mock-440hz",
      reason: REASON,
    });
    const resolved = router.resolveModel();
    assert.deepEqual(resolved, {
      model: "mock-440hz",
      fallback: { requested: REQUESTED, served: "mock-440hz", reason: REASON, worker: "fallback-w" },
    });
    assert.deepEqual(router.resolveModel("mock-440hz"), { model: "mock-440hz" }, "a served model is no fallback");
    assert.deepEqual(router.resolveModel("piper-other"), { model: "piper-other" }, "nobody was configured for it");
    const stream = await router.openStream({ sessionId: "s1", modelId: resolved.model });
    speak(stream, ["Still talking."]);
    const { frames } = await readAll(stream);
    assert.ok(frames.length > 10, `${frames.length} frames`);

    assert.deepEqual(strict.resolveModel(), { model: REQUESTED }, "STRICT_CONFIG: no stand-in");
    await assert.rejects(strict.openStream({ sessionId: "s2" }), NoWorkerAvailableError);
  } finally {
    await strict.close();
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await router.close();
  }
});

Deno.test("a worker that really serves the model wins over another worker's stand-in", async () => {
  // 1000 Hz is not in the mock catalogue: only a worker started with it has it.
  const cluster = await startCluster(["fallback-w"], { modelFallback: { requested: "mock-1000hz", reason: REASON } });
  const router = new WorkerRouter({ directory: cluster.directory });
  let real = null;
  try {
    assert.equal(router.resolveModel("mock-1000hz").model, "mock-440hz");
    real = await startMockWorker("real-w", { redisUrl: cluster.redis.url, defaultModel: "mock-1000hz" });
    await waitFor("both workers", () => cluster.directory.list().length === 2);
    assert.deepEqual(router.resolveModel("mock-1000hz"), { model: "mock-1000hz" });
  } finally {
    await router.close();
    await real?.shutdown("test over");
    await cluster.dispose();
  }
});
