import assert from "node:assert/strict";
import type { TtsFrame } from "../../../orchestrator/routing/contract.ts";
import { WorkerRouter } from "../../../orchestrator/routing/worker_router.ts";
import { WorkerDirectory } from "../../../shared/registry/directory.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { readAll, speak, startCluster, waitFor } from "./harness.ts";
import { type ChildWorker, spawnMockWorker, startMockWorker } from "./mock_workers.ts";

/** 30 sentences of 43 characters: 1290 characters, 3870 frames of mock audio (60 ms per character). */
const SENTENCES = Array.from(
  { length: 30 },
  (_, i) => `Sentence ${String(i).padStart(2, "0")} is here to fill up some audio. `,
);
const TEXT_LENGTH = SENTENCES.join("").length;
const SPAN = SENTENCES[0].length;

type FailoverInfo = { from: string; to: string; fromOffset: number };

/** Checks that the frames say all the text, the unfinished span at most twice, everything else exactly once. */
function assertSeamless(frames: TtsFrame[], failover: FailoverInfo): void {
  assert.deepEqual(frames.map((f) => f.seq), frames.map((_, i) => i + 1), "sequence numbers are not continuous");
  const before = frames.filter((f) => f.worker === failover.from);
  const after = frames.filter((f) => f.worker === failover.to);
  assert.equal(before.length + after.length, frames.length);
  assert.equal(failover.fromOffset % SPAN, 0, "failover must restart at a span boundary");
  assert.ok(before.every((f) => f.textStart <= failover.fromOffset), "text after the resume point was heard twice");
  // Every span before the resume point was heard completely (3 frames per character), and only once.
  assert.equal(before.filter((f) => f.textStart < failover.fromOffset).length, failover.fromOffset * 3);
  const repeated = before.filter((f) => f.textStart === failover.fromOffset).length;
  assert.ok(repeated <= SPAN * 3, `${repeated} frames repeated: more than the unfinished span`);
  assert.equal(after[0].textStart, failover.fromOffset);
  assert.equal(after.filter((f) => !f.isFinal).length, (TEXT_LENGTH - failover.fromOffset) * 3, "audio was lost");
  assert.equal(frames.at(-1)?.isFinal, true);
  assert.equal(frames.filter((f) => f.isFinal).length, 1);
}

function maxGapMs(arrivals: number[]): number {
  let gap = 0;
  for (let i = 1; i < arrivals.length; i++) gap = Math.max(gap, arrivals[i] - arrivals[i - 1]);
  return gap;
}

Deno.test("a worker killed with SIGKILL mid-response: the answer completes on another worker without a long gap", async () => {
  const redis = await RedisServer.start();
  const children: ChildWorker[] = [];
  const directory = new WorkerDirectory({ redisUrl: redis.url, refreshMs: 100 });
  let router: WorkerRouter | null = null;
  try {
    children.push(await spawnMockWorker("child-a", redis.url), await spawnMockWorker("child-b", redis.url));
    await directory.start();
    await waitFor("both child workers", () => directory.list().length === 2, 30_000);
    router = new WorkerRouter({ directory });
    const stream = await router.openStream({ sessionId: "s" });
    const victim = children.find((c) => c.name === stream.worker)!;
    const failovers: FailoverInfo[] = [];
    let killedAt = 0;
    stream.onFailover = (info) => failovers.push(info);
    speak(stream, SENTENCES);
    const { frames, arrivals } = await readAll(stream, {
      onFrame: async (_frame, index) => {
        // Read slowly at first so the worker is held mid-response by flow control, then kill it.
        if (index < 300) await new Promise((resolve) => setTimeout(resolve, 1));
        if (index === 300) {
          killedAt = performance.now();
          await victim.kill();
        }
      },
    });
    assert.equal(failovers.length, 1, JSON.stringify(failovers));
    assert.equal(failovers[0].from, victim.name);
    assertSeamless(frames, failovers[0]);
    const firstRescued = arrivals[frames.findIndex((f) => f.worker === failovers[0].to)];
    const gap = maxGapMs(arrivals);
    console.log(
      `failover from offset ${failovers[0].fromOffset}: first frame of ${failovers[0].to} ${
        Math.round(firstRescued - killedAt)
      } ms after the kill; largest gap between frames ${Math.round(gap)} ms`,
    );
    assert.ok(gap < 1000, `a gap of ${Math.round(gap)} ms between frames`);
  } finally {
    await router?.close();
    await Promise.all(children.map((c) => c.kill()));
    await directory.stop();
    await redis.dispose();
  }
});

Deno.test("a worker that goes NOT_SERVING mid-response hands the rest of the answer to another worker", async () => {
  const cluster = await startCluster(["w1", "w2"], { shutdownGraceMs: 10_000 });
  const router = new WorkerRouter({ directory: cluster.directory });
  try {
    const stream = await router.openStream({ sessionId: "s" });
    const draining = cluster.workers.find((w) => w.name === stream.worker)!;
    const failovers: FailoverInfo[] = [];
    stream.onFailover = (info) => failovers.push(info);
    speak(stream, SENTENCES);
    let shutdown: Promise<void> | null = null;
    const { frames } = await readAll(stream, {
      onFrame: async (_frame, index) => {
        if (index < 300) await new Promise((resolve) => setTimeout(resolve, 1));
        if (index === 300) shutdown = draining.shutdown("test drains it");
      },
    });
    assert.equal(failovers.length, 1);
    assert.equal(failovers[0].from, draining.name);
    assertSeamless(frames, failovers[0]);
    // Leaving its stream let the draining worker finish well before its 10 s grace period.
    const started = performance.now();
    await shutdown;
    assert.ok(performance.now() - started < 5000);
  } finally {
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await router.close();
  }
});

Deno.test("when the only worker dies mid-response the stream ends with an error saying no worker could take over", async () => {
  const redis = await RedisServer.start();
  const directory = new WorkerDirectory({ redisUrl: redis.url, refreshMs: 100 });
  let child: ChildWorker | null = null;
  let router: WorkerRouter | null = null;
  try {
    child = await spawnMockWorker("lonely", redis.url);
    await directory.start();
    await waitFor("the child worker", () => directory.get("lonely"), 30_000);
    router = new WorkerRouter({ directory });
    const stream = await router.openStream({ sessionId: "s" });
    speak(stream, SENTENCES);
    const dying = child;
    await assert.rejects(
      () =>
        readAll(stream, {
          onFrame: async (_frame, index) => {
            if (index < 100) await new Promise((resolve) => setTimeout(resolve, 1));
            if (index === 100) await dying.kill();
          },
        }),
      /worker lonely failed \((.*unreachable|.*UNAVAILABLE.*)\) and no other worker could take over: no healthy TTS worker/,
    );
  } finally {
    await router?.close();
    await child?.kill();
    await directory.stop();
    await redis.dispose();
  }
});

Deno.test("a Redis restart does not disturb running answers and routing continues afterwards", async () => {
  const cluster = await startCluster(["w1", "w2"]);
  const router = new WorkerRouter({ directory: cluster.directory });
  try {
    const stream = await router.openStream({ sessionId: "s" });
    let failedOver = false;
    stream.onFailover = () => failedOver = true;
    speak(stream, SENTENCES.slice(0, 10));
    const { frames } = await readAll(stream, {
      onFrame: async (_frame, index) => {
        if (index === 50) {
          await cluster.redis.stop();
          await new Promise((resolve) => setTimeout(resolve, 300));
          // During the outage the last known workers still take new sessions.
          const during = await router.openStream({ sessionId: "during" });
          assert.ok(["w1", "w2"].includes(during.worker));
          await during.stop();
          await cluster.redis.restart();
        }
      },
    });
    assert.equal(failedOver, false);
    assert.equal(frames.at(-1)?.isFinal, true);
    assert.equal(frames.length, SENTENCES[0].length * 10 * 3 + 1);
    await waitFor("the directory to reconnect", () => cluster.directory.connected, 10_000);
    await waitFor(
      "both workers re-registered",
      () => cluster.workers.every((w) => w.core && cluster.directory.get(w.name)),
      10_000,
    );
    const after = await startMockWorker("w3", { redisUrl: cluster.redis.url });
    try {
      await waitFor("a worker that joined after the restart", () => cluster.directory.get("w3"), 10_000);
      const next = await router.openStream({ sessionId: "after", affinityKey: "x" });
      speak(next, ["Still here."]);
      assert.equal((await readAll(next)).frames.at(-1)?.isFinal, true);
    } finally {
      await router.endSession("after");
      await after.shutdown("test over");
    }
  } finally {
    // Workers first: a client's GOAWAY after concurrent streams can abort Deno's HTTP/2 (denoland/deno#36788).
    await cluster.dispose();
    await router.close();
  }
});
