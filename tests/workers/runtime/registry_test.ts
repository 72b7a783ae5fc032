import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisServer } from "../../../harness/redis_server.ts";
import { parseWorkerRecord, registryKeys } from "../../../shared/registry/worker_record.ts";
import { startTestWorker, TestClient, waitFor } from "./worker_harness.ts";

Deno.test("the registry record tells the truth and follows sessions and models without waiting for a heartbeat", async () => {
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url);
  const worker = await startTestWorker({
    name: "record-test",
    maxSessions: 7,
    registry: { redisUrl: redis.url, heartbeatMs: 30_000, ttlMs: 90_000 },
  });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  const key = registryKeys().worker("record-test");
  const record = async () => {
    const parsed = parseWorkerRecord((await reader.get(key)) ?? "");
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
    return parsed.record;
  };
  try {
    const first = await record();
    assert.equal(first.address, `127.0.0.1:${worker.port}`);
    assert.equal(first.adapter, "mock");
    assert.equal(first.version, "test");
    assert.deepEqual(first.availableModels, ["mock-220hz", "mock-440hz", "mock-880hz"]);
    assert.deepEqual(first.load, { activeSessions: 0, maxSessions: 7, queueDepth: 0, rtf: first.load.rtf });
    assert.ok(first.load.rtf > 0);
    assert.deepEqual(first.capabilities, {
      streaming: true,
      sampleRate: 48000,
      frameMs: 20,
      languages: ["en-US"],
      supportsPause: true,
      device: "cpu",
    });

    // The heartbeat is 30 s away: these updates come from the changes themselves.
    await client.startSession("one");
    await waitFor(async () => (await record()).load.activeSessions === 1, "activeSessions 1 in Redis", 5_000);
    await client.loadModel("mock-880hz");
    await waitFor(async () => (await record()).residentModels.includes("mock-880hz"), "mock-880hz resident", 5_000);
    await client.endSession("one");
    await waitFor(async () => (await record()).load.activeSessions === 0, "activeSessions 0 in Redis", 5_000);
  } finally {
    client.close();
    await worker.shutdown("test over");
    reader.disconnect();
    await redis.dispose();
  }
});
