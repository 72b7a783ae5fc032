/**
 * No path leaves a worker session behind: a StartSession still in flight when its orchestrator session ends, and a
 * flood of `text` messages that ends in a protocol violation. Before the fix, one such client left ~30 of the
 * worker's 32 sessions held for ever, and a second one silenced the service.
 */
import assert from "node:assert/strict";
import { SessionEndedError } from "../../orchestrator/routing/worker_sessions.ts";
import { WorkerRouter } from "../../orchestrator/routing/worker_router.ts";
import { MockAdapter } from "../../workers/mock/mock_adapter.ts";
import type { TtsAdapter } from "../../workers/runtime/adapter.ts";
import { startTestWorker, waitFor } from "../workers/runtime/worker_harness.ts";
import { slowAdapter } from "../workers/runtime/slow_adapter.ts";
import { startLightStack } from "./light_stack.ts";

Deno.test("worker sessions: a session that ends while its StartSession is in flight leaves nothing on the worker", async () => {
  // A model that is not resident: StartSession waits for its 300 ms load.
  const adapter = slowAdapter(new MockAdapter() as TtsAdapter, { loadDelayMs: 300 });
  const worker = await startTestWorker({ adapter });
  const router = new WorkerRouter({ staticAddress: `127.0.0.1:${worker.port}`, defaultModel: "mock-440hz" });
  try {
    await waitFor(() => router.workers().some((w) => w.healthy), "the worker to be healthy");
    const opening = router.openStream({ sessionId: "ends-early", modelId: "mock-220hz" });
    const outcome = opening.then(() => "opened", (error) => error);
    await waitFor(() => worker.core.models.pendingAcquisitions > 0, "the StartSession to be loading");
    await router.endSession("ends-early");
    const result = await outcome;
    assert.ok(result instanceof SessionEndedError, `openStream settled with ${result}`);
    await waitFor(() => worker.core.sessions.size === 0, "the late worker session to be ended", 3000);
    await assert.rejects(
      () => router.openStream({ sessionId: "ends-early" }),
      SessionEndedError,
      "an ended session cannot start new worker sessions",
    );
    assert.equal(router.sessions.size, 0);
  } finally {
    await router.close();
    await worker.shutdown("test");
  }
});

Deno.test("worker sessions: a flood of text messages returns the worker's session count to its baseline", async () => {
  const stack = await startLightStack();
  try {
    const baseline = await stack.workerSessions();
    for (let round = 0; round < 2; round++) {
      const client = await stack.connect();
      await client.start();
      for (let i = 0; i < 200; i++) client.sendText(`hello ${i}`);
      const closed = await client.closed;
      assert.ok(closed.code !== 1000, `the flood was cut off (close ${closed.code})`);

      await waitFor(
        async () => (await stack.workerSessions()) <= baseline,
        `worker sessions back to ${baseline}`,
        5000,
      );
    }
    assert.equal(stack.orchestrator.router.workers().length, 1);
    await stack.goodSession();
    assert.equal(await stack.healthy(), true);
  } finally {
    await stack.close();
  }
});
