import assert from "node:assert/strict";
import { WorkerRouter } from "../../../orchestrator/routing/worker_router.ts";
import { WorkerDirectory } from "../../../shared/registry/directory.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { startWorker } from "../../../workers/runtime/worker.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { slowAdapter } from "../../workers/runtime/slow_adapter.ts";
import { readAll, speak, waitFor } from "./harness.ts";
import { type ChildWorker, spawnMockWorker } from "./mock_workers.ts";

const SENTENCES = Array.from({ length: 20 }, (_, i) => `Sentence ${String(i).padStart(2, "0")} fills some audio. `);

Deno.test("a worker that freezes mid-response (SIGSTOP) is detected by the stall watch and replaced", async () => {
  const redis = await RedisServer.start();
  const children: ChildWorker[] = [];
  const directory = new WorkerDirectory({ redisUrl: redis.url, refreshMs: 100 });
  let router: WorkerRouter | null = null;
  try {
    // Heartbeats every 2 s with a 6 s TTL: the frozen worker stays listed, so only the stall watch can catch it.
    children.push(
      await spawnMockWorker("frozen-a", redis.url, 2000),
      await spawnMockWorker("frozen-b", redis.url, 2000),
    );
    await directory.start();
    await waitFor("both child workers", () => directory.list().length === 2, 30_000);
    router = new WorkerRouter({ directory, stallTimeoutMs: 600, controlTimeoutMs: 400 });
    const stream = await router.openStream({ sessionId: "s" });
    const victim = children.find((c) => c.name === stream.worker)!;
    const failovers: string[] = [];
    stream.onFailover = (info) => failovers.push(`${info.from}->${info.to}`);
    speak(stream, SENTENCES);
    const { frames } = await readAll(stream, {
      onFrame: async (_frame, index) => {
        if (index < 200) await new Promise((resolve) => setTimeout(resolve, 1));
        if (index === 200) victim.freeze();
      },
    });
    assert.deepEqual(failovers, [`${victim.name}->${children.find((c) => c !== victim)!.name}`]);
    assert.equal(frames.at(-1)?.isFinal, true);
    assert.deepEqual(frames.map((f) => f.seq), frames.map((_, i) => i + 1));
  } finally {
    await router?.close();
    await Promise.all(children.map((c) => c.kill()));
    await directory.stop();
    await redis.dispose();
  }
});

Deno.test("a slow worker that still answers its health check is waited for, not abandoned", async () => {
  // Each 100 ms chunk of audio takes 900 ms to produce: far slower than the 300 ms stall timeout.
  const worker = await startWorker({
    name: "slow",
    host: "127.0.0.1",
    port: 0,
    adapter: slowAdapter(new MockAdapter(), { chunkDelayMs: 900 }),
    defaultModel: "mock-440hz",
    preloadModelIds: [],
    modelManager: { idleTtlMs: 600_000, minResidencyMs: 0, maxResident: 2, maxParallelLoads: 1 },
    maxSessions: 4,
    maxTextChars: 1000,
    shutdownGraceMs: 200,
    version: "test",
  });
  const router = new WorkerRouter({ staticAddress: worker.address, stallTimeoutMs: 300, controlTimeoutMs: 1000 });
  try {
    await waitFor("the static worker to be healthy", () => router.workers().some((w) => w.healthy), 10_000);
    const stream = await router.openStream({ sessionId: "slow-session" });
    let failedOver = false;
    stream.onFailover = () => failedOver = true;
    speak(stream, ["Hi there."]);
    const { frames } = await readAll(stream);
    assert.equal(failedOver, false);
    assert.equal(frames.at(-1)?.isFinal, true);
    assert.ok(frames.every((f) => f.worker === frames[0].worker));
  } finally {
    await router.endSession("slow-session");
    await router.close();
    await worker.shutdown("test over");
  }
});
