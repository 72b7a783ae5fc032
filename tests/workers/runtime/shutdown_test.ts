import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import { RedisServer } from "../../../harness/redis_server.ts";
import { registryKeys } from "../../../shared/registry/worker_record.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { slowAdapter } from "./slow_adapter.ts";
import { chunk, collect, startTestWorker, TestClient, waitFor } from "./worker_harness.ts";

Deno.test("shutdown: health goes NOT_SERVING, new work is refused, the running stream finishes, Redis forgets the worker", async () => {
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url, { lazyConnect: true });
  const worker = await startTestWorker({
    name: "drain-test",
    adapter: slowAdapter(new MockAdapter(), { chunkDelayMs: 20 }),
    shutdownGraceMs: 10_000,
    registry: { redisUrl: redis.url, heartbeatMs: 200, ttlMs: 600 },
  });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await reader.connect();
    const key = registryKeys().worker("drain-test");
    const record = JSON.parse((await reader.get(key))!);
    assert.equal(record.address, `127.0.0.1:${worker.port}`);
    assert.equal(record.adapter, "mock");
    assert.deepEqual(record.residentModels, ["mock-440hz"]);

    assert.equal(await client.health(), "SERVING");
    await client.startSession("running");
    const call = client.openStream();
    let frames = 0;
    const result = collect(call, () => frames++);
    call.write(chunk("running", "This stream is still talking when the worker is told to stop."));
    call.end();
    await waitFor(() => frames > 0, "first frame");

    const stopping = worker.shutdown("SIGTERM");
    assert.equal(await client.health(), "NOT_SERVING");
    assert.equal(await client.health("tts.v1.TTSService"), "NOT_SERVING");
    await assert.rejects(client.startSession("late"), (e: { code: number; details: string }) => {
      assert.equal(e.code, status.UNAVAILABLE);
      assert.match(e.details, /shutting down/);
      return true;
    });
    const refused = await client.synthesize("running", ["another stream"]);
    assert.equal(refused.error?.code, status.UNAVAILABLE);

    const finished = await result;
    assert.equal(finished.error, null, "the running stream finishes within the grace period");
    assert.equal(finished.frames.filter((f) => f.isFinal).length, 1);
    // Before the server closes: a Deno gRPC client must not be connected then (see closeServer in worker.ts).
    client.close();
    await stopping;
    assert.equal(await reader.exists(key), 0, "deregistered at once");
    assert.equal(await reader.sismember(registryKeys().index, "drain-test"), 0);
  } finally {
    client.close();
    await worker.shutdown("test over");
    reader.disconnect();
    await redis.dispose();
  }
});

Deno.test("shutdown cancels streams still running when the grace period ends", async () => {
  const worker = await startTestWorker({
    adapter: slowAdapter(new MockAdapter(), { chunkDelayMs: 50 }),
    shutdownGraceMs: 300,
  });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("long");
    const call = client.openStream();
    let frames = 0;
    const result = collect(call, () => frames++);
    call.write(chunk("long", "x".repeat(200))); // 12 s of audio at 50 ms per 100 ms chunk: 6 s of compute
    call.end();
    await waitFor(() => frames > 0, "first frame");
    const started = performance.now();
    const stopping = worker.shutdown("SIGTERM");
    const { error } = await result;
    client.close(); // before the server closes (see closeServer in worker.ts)
    await stopping;
    const elapsed = performance.now() - started;
    assert.equal(error?.code, status.UNAVAILABLE);
    assert.match(error!.details, /shut down/);
    assert.ok(elapsed < 5_000, `shutdown took ${elapsed.toFixed(0)} ms, far beyond the 300 ms grace`);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});
