/**
 * The audit's "silent agent": a Piper worker asked for a voice that is not installed serves the voice it has,
 * registers what it really serves, and a session that asked for the orchestrator's default (each worker's own
 * default) still gets audio. A model named explicitly still fails loudly, naming what the registry offers.
 */
import assert from "node:assert/strict";
import { WorkerRouter } from "../../../orchestrator/routing/worker_router.ts";
import { WorkerDirectory } from "../../../shared/registry/directory.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { WorkerProcess } from "../../../harness/task_process.ts";
import { waitFor } from "./worker_harness.ts";

const MISSING = "piper-en-us-lessac-medium";
const INSTALLED = "piper-en-us-joe-medium";

Deno.test("a worker started with a missing voice still gives audio to a session that asked for the default", async () => {
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-piper", {
    REDIS_URL: redis.url,
    DEFAULT_MODEL: MISSING,
    WORKER_NAME: "piper-missing-voice",
    WORKER_HEARTBEAT_MS: "200",
  });
  const directory = new WorkerDirectory({ redisUrl: redis.url });
  let router: WorkerRouter | null = null;
  try {
    await waitFor(() => /serving piper on/.test(worker.output), "the worker to serve", 90_000);
    assert.match(worker.output, new RegExp(`DEFAULT_MODEL=${MISSING}: voicepack not found for ${MISSING}`));
    assert.match(worker.output, new RegExp(`falling back to ${INSTALLED}`));
    assert.ok(await directory.start(), "Redis answers");
    await waitFor(() => directory.list().length === 1, "the worker's registry record", 10_000);
    assert.equal(directory.list()[0].defaultModel, INSTALLED, "the record says what is really served");

    router = new WorkerRouter({ directory, policy: "least_loaded", defaultModel: "" });
    const stream = await router.openStream({ sessionId: "default-voice" });
    stream.push("Hello there.", { flush: true });
    stream.end();
    let audible = 0;
    for await (const frame of stream) {
      const samples = new Int16Array(frame.pcm.buffer, frame.pcm.byteOffset, frame.pcm.byteLength / 2);
      if (samples.some((s) => Math.abs(s) > 1000)) audible++;
    }
    assert.ok(audible > 10, `${audible} audible frames`);

    await assert.rejects(router.openStream({ sessionId: "named-voice", modelId: MISSING }), (error: Error) => {
      assert.match(error.message, new RegExp(MISSING));
      assert.match(error.message, new RegExp(INSTALLED), "the message names what the registry offers");
      return true;
    });
  } finally {
    await router?.close();
    await directory.stop();
    await worker.close();
    await redis.stop();
  }
});
