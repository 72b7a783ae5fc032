/**
 * Worker routing across hosts: three TTS workers on hosts C, D and E register in the Redis on host A with their
 * host address; an orchestrator's router places sessions on them over the test network.
 * - the spread of 60 sessions under each policy (printed for the closing note);
 * - capacity from the registry record: a full worker is skipped, and with every worker full a new session is refused
 *   at once with `busy`.
 */
import assert from "node:assert/strict";
import type { SpeechStream } from "../../orchestrator/routing/contract.ts";
import { WorkersBusyError } from "../../orchestrator/routing/capacity.ts";
import type { RoutingPolicyName } from "../../orchestrator/routing/policy.ts";
import { WorkerRouter } from "../../orchestrator/routing/worker_router.ts";
import { WorkerDirectory } from "../../shared/registry/directory.ts";
import { Cluster, type ClusterWorker, WORKER_RPC_SECRET } from "./cluster.ts";
import { waitUntil } from "./host_process.ts";

const MODEL = "mock-440hz";
const WORKER_HOSTS = ["c", "d", "e"];

/** A router like an orchestrator's, with its own directory on the cluster's Redis. */
async function routerOn(cluster: Cluster, policy: RoutingPolicyName): Promise<WorkerRouter> {
  const directory = new WorkerDirectory({ redisUrl: cluster.redisUrl, refreshMs: 200 });
  await directory.start();
  await waitUntil("the router's directory to list the workers", () => directory.list().length === 3);
  const router = new WorkerRouter({
    directory,
    policy,
    defaultModel: MODEL,
    security: { rpcSecret: WORKER_RPC_SECRET },
  });
  const close = router.close.bind(router);
  router.close = async () => {
    await close();
    await directory.stop();
  };
  return router;
}

/** Opens `n` sessions' streams and keeps them open; returns them with the host each landed on. */
async function place(router: WorkerRouter, workers: ClusterWorker[], prefix: string, n: number) {
  const streams: SpeechStream[] = [];
  const hosts: string[] = [];
  for (let i = 0; i < n; i++) {
    const stream = await router.openStream({ sessionId: `${prefix}-${i}` });
    streams.push(stream);
    hosts.push(workers.find((w) => w.name === stream.worker)?.host ?? `?${stream.worker}`);
  }
  return { streams, hosts };
}

async function release(router: WorkerRouter, streams: SpeechStream[], prefix: string): Promise<void> {
  await Promise.all(streams.map((s) => s.stop()));
  await Promise.all(streams.map((_, i) => router.endSession(`${prefix}-${i}`)));
}

function spread(hosts: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(WORKER_HOSTS.map((h) => [h, 0]));
  for (const host of hosts) counts[host] = (counts[host] ?? 0) + 1;
  return counts;
}

async function startWorkers(cluster: Cluster, caps: number[]): Promise<ClusterWorker[]> {
  await cluster.startRedis();
  return await Promise.all(
    WORKER_HOSTS.map((host, i) =>
      cluster.startWorker(host, "mock", { WORKER_MAX_SESSIONS: String(caps[i]), WORKER_HEARTBEAT_MS: "500" })
    ),
  );
}

Deno.test({
  name: "multihost: 60 sessions per policy over workers on three hosts (least_loaded, round_robin, affinity)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await Cluster.create(["a", ...WORKER_HOSTS]);
    const workers = await startWorkers(cluster, [32, 32, 32]);
    for (const record of await cluster.workers()) {
      const host = workers.find((w) => w.name === record.name)!.host;
      assert.equal(record.address, `${cluster.net.address(host)}:7002`, "workers advertise their host address");
    }
    const spreads: Record<string, Record<string, number>> = {};
    for (const policy of ["least_loaded", "round_robin", "affinity"] as const) {
      const router = await routerOn(cluster, policy);
      try {
        const { streams, hosts } = await place(router, workers, `spread-${policy}`, 60);
        spreads[policy] = spread(hosts);
        if (policy === "affinity") {
          // The same keys land on the same hosts from a second orchestrator (or after a restart).
          const other = await routerOn(cluster, "affinity");
          try {
            const again = await place(other, workers, "spread-affinity", 10);
            assert.deepEqual(again.hosts, hosts.slice(0, 10));
            await release(other, again.streams, "spread-affinity");
          } finally {
            await other.close();
          }
        }
        await release(router, streams, `spread-${policy}`);
      } finally {
        await router.close();
      }
    }
    console.log(`spread of 60 sessions over hosts c/d/e: ${JSON.stringify(spreads)}`);
    assert.deepEqual(spreads.least_loaded, { c: 20, d: 20, e: 20 });
    assert.deepEqual(spreads.round_robin, { c: 20, d: 20, e: 20 });
    const affinity = Object.values(spreads.affinity);
    assert.equal(affinity.reduce((a, b) => a + b), 60);
    assert.ok(Math.min(...affinity) >= 8, `affinity left a host nearly idle: ${JSON.stringify(spreads.affinity)}`);
  },
});

Deno.test({
  name: "multihost: a full worker is skipped, and with every worker full a new session is refused at once as busy",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await Cluster.create(["a", ...WORKER_HOSTS]);
    const workers = await startWorkers(cluster, [2, 4, 4]);
    for (const record of await cluster.workers()) {
      assert.ok([2, 4].includes(record.load.maxSessions), "the record carries the worker's session cap");
    }
    const router = await routerOn(cluster, "round_robin");
    // A second orchestrator sees the same workers through the registry only.
    const observer = await routerOn(cluster, "least_loaded");
    try {
      const { streams, hosts } = await place(router, workers, "cap", 10);
      assert.deepEqual(spread(hosts), { c: 2, d: 4, e: 4 });
      // Round robin would have come back to C at the 4th session; C was full, so it was skipped.
      assert.deepEqual(hosts.slice(0, 6), ["c", "d", "e", "c", "d", "e"]);
      assert.ok(!hosts.slice(6).includes("c"));
      assert.match(router.busy() ?? "", /all 3 TTS worker\(s\).*session limit/);

      const started = performance.now();
      await assert.rejects(() => router.openStream({ sessionId: "one-too-many" }), WorkersBusyError);
      const refusedMs = performance.now() - started;
      assert.ok(refusedMs < 500, `busy took ${refusedMs} ms`);

      // The other orchestrator learns the load from the records the workers refresh on every change.
      await waitUntil("the second orchestrator to see every worker full", () => observer.busy() !== null, {
        timeoutMs: 5_000,
      });
      await assert.rejects(() => observer.openStream({ sessionId: "elsewhere" }), WorkersBusyError);

      // A slot frees up: the next session gets it.
      await streams[0].stop();
      await router.endSession("cap-0");
      await waitUntil("a free slot to show in the registry", () => observer.busy() === null, { timeoutMs: 5_000 });
      const late = await observer.openStream({ sessionId: "late" });
      assert.equal(late.worker, "tts-mock-host-c");
      await late.stop();
      await observer.endSession("late");
      await release(router, streams.slice(1), "cap");
    } finally {
      await observer.close();
      await router.close();
    }
  },
});
