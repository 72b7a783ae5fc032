import assert from "node:assert/strict";
import { evaluateReadiness, startHealthServer } from "../../../orchestrator/http/health_server.ts";
import { MetricsRegistry } from "../../../shared/metrics/registry.ts";
import { freePort } from "../../../harness/ports.ts";

Deno.test("health: ready only when every required check passes; the body names what is missing", async () => {
  let workersUp = false;
  const registry = new MetricsRegistry();
  registry.gauge("sessions_active", "Open sessions").set(2);
  const server = await startHealthServer({
    hostname: "127.0.0.1",
    port: freePort(),
    metrics: registry,
    readinessCacheMs: 0,
    checks: [
      { name: "vad", required: true, check: () => ({ ok: true }) },
      { name: "workers", required: true, check: () => ({ ok: workersUp, detail: workersUp ? "1 healthy" : "none" }) },
      { name: "redis", required: false, check: () => Promise.resolve({ ok: false, detail: "unreachable" }) },
    ],
  });
  try {
    let response = await fetch(`${server.url}/health`);
    let body = await response.json();
    assert.equal(response.status, 503);
    assert.equal(body.status, "not_ready");
    assert.deepEqual(body.missing, ["workers"]);
    assert.deepEqual(body.checks.workers, { ok: false, required: true, detail: "none" });
    workersUp = true;
    response = await fetch(`${server.url}/health`);
    body = await response.json();
    assert.equal(response.status, 200);
    assert.equal(body.status, "degraded");
    assert.deepEqual(body.degraded, ["redis"]);
    const live = await fetch(`${server.url}/livez`);
    assert.equal(live.status, 200);
    assert.equal(await live.text(), "ok\n");
    const metrics = await fetch(`${server.url}/metrics`);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(await metrics.text(), /^sessions_active 2$/m);
    const missing = await fetch(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(`${server.url}/health`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("health: a check that hangs or throws counts as failed, with the reason", async () => {
  const { ready, body } = await evaluateReadiness([
    { name: "slow", required: true, check: () => new Promise(() => {}) },
    {
      name: "broken",
      required: true,
      check: () => {
        throw new Error("boom");
      },
    },
  ], 50);
  assert.equal(ready, false);
  assert.deepEqual(body.missing, ["slow", "broken"]);
  const checks = body.checks as Record<string, { detail: string }>;
  assert.match(checks.slow.detail, /no answer within 50 ms/);
  assert.equal(checks.broken.detail, "boom");
});

Deno.test("health: a flood of /health requests runs the readiness checks once per cache period", async () => {
  let outbound = 0;
  const server = await startHealthServer({
    hostname: "127.0.0.1",
    port: freePort(),
    metrics: new MetricsRegistry(),
    readinessCacheMs: 60_000,
    checks: [{
      name: "livekit",
      required: false,
      check: async () => {
        outbound++; // stands for the readiness fetch towards LiveKit
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { ok: true };
      },
    }],
  });
  try {
    const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${server.url}/health`)));
    for (const response of responses) {
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    assert.equal(outbound, 1, "50 requests, one readiness evaluation");
  } finally {
    await server.close();
  }
});
