import assert from "node:assert/strict";
import { startHealthServer } from "../../../orchestrator/http/health_server.ts";
import { OrchestratorMetrics } from "../../../orchestrator/metrics/orchestrator_metrics.ts";
import {
  SERVICE_DISCOVERY_PATH,
  type TargetGroup,
  workerTargets,
} from "../../../orchestrator/metrics/service_discovery.ts";
import { WorkerRouter } from "../../../orchestrator/routing/worker_router.ts";
import { WorkerDirectory } from "../../../shared/registry/directory.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { startTestWorker, waitFor } from "../../workers/runtime/worker_harness.ts";

function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("the orchestrator lists registered workers' metrics addresses for Prometheus http_sd, and its registry gauges follow joins and leaves", async () => {
  const redis = await RedisServer.start();
  const registry = { redisUrl: redis.url, heartbeatMs: 200, ttlMs: 1000 };
  const metricsListener = { host: "127.0.0.1", port: 0 };
  const workers = [
    await startTestWorker({ name: "sd-a", registry, metrics: metricsListener }),
    await startTestWorker({ name: "sd-b", registry, metrics: metricsListener }),
  ];
  const directory = new WorkerDirectory({ redisUrl: redis.url, refreshMs: 200, outageGraceMs: 0 });
  await directory.start();
  const router = new WorkerRouter({ directory, defaultModel: "mock-440hz" });
  const metrics = new OrchestratorMetrics(router, { directory, expectedModels: ["mock-440hz"] });
  const health = await startHealthServer({
    hostname: "127.0.0.1",
    port: 0,
    checks: [],
    metrics: metrics.registry,
    scrapeTargets: () => workerTargets(directory.list()),
  });
  const targets = async () => await (await fetch(`${health.url}${SERVICE_DISCOVERY_PATH}`)).json() as TargetGroup[];
  const scrape = async () => await (await fetch(`${health.url}/metrics`)).text();
  try {
    await waitFor(async () => (await targets()).length === 2, "both workers listed");
    const groups = await targets();
    assert.deepEqual(groups.map((g) => g.labels), [
      { worker: "sd-a", adapter: "mock", device: "cpu", default_model: "mock-440hz" },
      { worker: "sd-b", adapter: "mock", device: "cpu", default_model: "mock-440hz" },
    ]);
    for (const [i, group] of groups.entries()) {
      assert.deepEqual(group.targets, [workers[i].metricsUrl!.replace("http://", "")]);
      // Each target is a live Prometheus endpoint.
      assert.match(
        await (await fetch(`http://${group.targets[0]}/metrics`)).text(),
        /^voicechat_tts_active_sessions 0$/m,
      );
    }
    await waitFor(async () => value(await scrape(), "voicechat_registry_workers_healthy") === 2, "2 healthy workers");
    let text = await scrape();
    assert.equal(value(text, "voicechat_registry_workers"), 2);
    assert.equal(value(text, 'voicechat_registry_model_workers{model="mock-440hz"}'), 2);
    assert.equal(value(text, 'voicechat_registry_model_workers{model="mock-880hz"}'), 2);
    assert.equal(value(text, 'voicechat_registry_model_workers_healthy{model="mock-440hz"}'), 2);

    await workers[0].shutdown("test: one leaves");
    await waitFor(async () => (await targets()).length === 1, "the stopped worker dropped from the targets");
    assert.equal((await targets())[0].labels.worker, "sd-b");
    await waitFor(async () => value(await scrape(), "voicechat_registry_workers") === 1, "1 registered worker");

    await workers[1].shutdown("test: the last one leaves");
    await waitFor(async () => (await targets()).length === 0, "no targets");
    await waitFor(
      async () => value(await scrape(), 'voicechat_registry_model_workers_healthy{model="mock-440hz"}') === 0,
      "the model's series stays, at 0, when its last worker is gone",
    );
    text = await scrape();
    assert.equal(value(text, "voicechat_registry_workers"), 0);
    assert.equal(value(text, 'voicechat_registry_model_workers{model="mock-880hz"}'), 0);
  } finally {
    await health.close();
    metrics.close();
    await router.close();
    await directory.stop();
    for (const worker of workers) await worker.shutdown("test over");
    await redis.dispose();
  }
});

Deno.test("without a registry (static TTS_WORKER_ADDRESS) there are no registry gauges and no targets", () => {
  const metrics = new OrchestratorMetrics(undefined, { directory: null, expectedModels: ["mock-440hz"] });
  const text = metrics.registry.render();
  assert.doesNotMatch(text, /voicechat_registry_/);
  assert.match(text, /^voicechat_sessions_active\{transport="websocket"\} 0$/m);
  assert.match(text, /^voicechat_sessions_total\{transport="livekit"\} 0$/m);
  metrics.sessionOpened("livekit");
  metrics.sessionOpened("websocket");
  metrics.sessionClosed("livekit");
  const after = metrics.registry.render();
  assert.match(after, /^voicechat_sessions_active\{transport="livekit"\} 0$/m);
  assert.match(after, /^voicechat_sessions_active\{transport="websocket"\} 1$/m);
  assert.match(after, /^voicechat_sessions_total\{transport="livekit"\} 1$/m);
  assert.deepEqual(workerTargets([]), []);
});
