import assert from "node:assert/strict";
import { NoWorkerAvailableError, WorkerRouter } from "../../../orchestrator/routing/worker_router.ts";
import { WorkerDirectory } from "../../../shared/registry/directory.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { readAll, speak, startCluster, waitFor } from "./harness.ts";
import { startMockWorker } from "./mock_workers.ts";

Deno.test("least_loaded spreads concurrent sessions over the workers", async () => {
  const cluster = await startCluster(["w1", "w2"]);
  const router = new WorkerRouter({ directory: cluster.directory, policy: "least_loaded" });
  try {
    const streams = await Promise.all(["s1", "s2", "s3", "s4"].map((sessionId) => router.openStream({ sessionId })));
    const perWorker = new Map<string, number>();
    for (const s of streams) perWorker.set(s.worker, (perWorker.get(s.worker) ?? 0) + 1);
    assert.deepEqual([...perWorker.entries()].sort(), [["w1", 2], ["w2", 2]]);
    await Promise.all(streams.map((s) => s.stop()));
  } finally {
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await router.close();
  }
});

Deno.test("least_loaded sends a new session to the worker with fewer open sessions in the registry", async () => {
  const cluster = await startCluster(["w1", "w2"]);
  const busy = new WorkerRouter({ staticAddress: cluster.workers[0].address });
  const router = new WorkerRouter({ directory: cluster.directory });
  try {
    // Another orchestrator holds three sessions on w1; the registry reports them.
    for (const sessionId of ["x1", "x2", "x3"]) await (await busy.openStream({ sessionId })).stop();
    await waitFor("w1's load in the registry", () => cluster.directory.get("w1")?.load.activeSessions === 3);
    const stream = await router.openStream({ sessionId: "mine" });
    assert.equal(stream.worker, "w2");
    await stream.stop();
  } finally {
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await busy.close();
    await router.close();
  }
});

Deno.test("round_robin gives new sessions to the workers in turn; a session stays on its worker", async () => {
  const cluster = await startCluster(["w1", "w2", "w3"]);
  const router = new WorkerRouter({ directory: cluster.directory, policy: "round_robin" });
  try {
    const picks: string[] = [];
    for (const sessionId of ["a", "b", "c", "d"]) {
      const stream = await router.openStream({ sessionId });
      picks.push(stream.worker);
      await stream.stop();
    }
    assert.deepEqual(picks, ["w1", "w2", "w3", "w1"]);
    const again = await router.openStream({ sessionId: "b" });
    assert.equal(again.worker, "w2", "the second answer of session b goes where its worker session is");
    await again.stop();
  } finally {
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await router.close();
  }
});

Deno.test("affinity sends the same key to the same worker until that worker leaves", async () => {
  const cluster = await startCluster(["w1", "w2", "w3"]);
  const router = new WorkerRouter({ directory: cluster.directory, policy: "affinity" });
  try {
    const first = await router.openStream({ sessionId: "s1", affinityKey: "user-42" });
    const home = first.worker;
    await first.stop();
    for (const sessionId of ["s2", "s3", "s4"]) {
      const stream = await router.openStream({ sessionId, affinityKey: "user-42" });
      assert.equal(stream.worker, home, `${sessionId} with the same key went elsewhere`);
      await stream.stop();
    }
    await cluster.workers.find((w) => w.name === home)!.shutdown("leaving");
    await waitFor("the worker to leave the directory", () => !cluster.directory.get(home));
    const moved = await router.openStream({ sessionId: "s5", affinityKey: "user-42" });
    assert.notEqual(moved.worker, home);
    await moved.stop();
  } finally {
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await router.close();
  }
});

Deno.test("a worker with the requested model resident is preferred; an unknown model gets a clear error", async () => {
  const cluster = await startCluster(["plain"]);
  const extra = await startMockWorker("has-880", { redisUrl: cluster.redis.url, preload: ["mock-880hz"] });
  const router = new WorkerRouter({ directory: cluster.directory });
  try {
    await waitFor("the second worker", () => cluster.directory.get("has-880"));
    for (const sessionId of ["a", "b", "c"]) {
      const stream = await router.openStream({ sessionId, modelId: "mock-880hz" });
      assert.equal(stream.worker, "has-880");
      await stream.stop();
    }
    await assert.rejects(
      () => router.openStream({ sessionId: "d", modelId: "piper-en-us-nobody" }),
      (error: Error) =>
        error instanceof NoWorkerAvailableError && /model "piper-en-us-nobody"/.test(error.message) &&
        /2 worker\(s\) in the registry, 2 healthy/.test(error.message),
    );
  } finally {
    await router.close();
    await extra.shutdown("test over");
    await cluster.dispose();
  }
});

Deno.test("with Redis down the router falls back to TTS_WORKER_ADDRESS", async () => {
  const redis = await RedisServer.start();
  await redis.stop();
  const worker = await startMockWorker("static-one");
  const directory = new WorkerDirectory({ redisUrl: redis.url, refreshMs: 100 });
  await directory.start();
  const router = new WorkerRouter({ directory, staticAddress: worker.address });
  try {
    assert.equal(directory.connected, false);
    const stream = await router.openStream({ sessionId: "s" });
    assert.equal(stream.worker, `static:${worker.address}`);
    speak(stream, ["Hello."]);
    const { frames } = await readAll(stream);
    assert.equal(frames.at(-1)?.isFinal, true);
    assert.deepEqual(router.workers().map((w) => [w.name, w.healthy]), [[`static:${worker.address}`, true]]);
  } finally {
    await router.close();
    await directory.stop();
    await worker.shutdown("test over");
    await redis.dispose();
  }
});

Deno.test("without a registry worker or static address, openStream fails with a message saying so", async () => {
  const redis = await RedisServer.start();
  const directory = new WorkerDirectory({ redisUrl: redis.url });
  await directory.start();
  const router = new WorkerRouter({ directory });
  try {
    await assert.rejects(
      () => router.openStream({ sessionId: "s" }),
      /no healthy TTS worker can serve the default model: 0 worker\(s\) in the registry, 0 healthy, no TTS_WORKER_ADDRESS/,
    );
  } finally {
    await router.close();
    await directory.stop();
    await redis.dispose();
  }
});

Deno.test("one channel per worker is shared by all sessions and closed when the worker leaves", async () => {
  const cluster = await startCluster(["only"]);
  const router = new WorkerRouter({ directory: cluster.directory });
  try {
    const a = await router.openStream({ sessionId: "a" });
    const clientOfA = router.channels.peek(cluster.workers[0].address)?.client;
    const b = await router.openStream({ sessionId: "b" });
    assert.deepEqual(router.channels.addresses, [cluster.workers[0].address]);
    assert.equal(router.channels.peek(cluster.workers[0].address)?.client, clientOfA, "a second client was created");
    speak(a, ["One."]);
    speak(b, ["Two."]);
    await Promise.all([readAll(a), readAll(b)]);
    assert.equal(router.sessions.size, 2, "one worker session per orchestrator session");
    await router.endSession("a");
    await router.endSession("b");
    await waitFor("the worker to see the sessions end", () => cluster.workers[0].core.sessions.size === 0);
    await cluster.workers[0].shutdown("leaving");
    await waitFor("the channel to close after the leave", () => router.channels.addresses.length === 0);
  } finally {
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await router.close();
  }
});
