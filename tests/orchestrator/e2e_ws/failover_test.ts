/**
 * Faults under the real stack: Redis restarting and a Piper worker killed in the middle of an answer. Sessions keep
 * working; the killed worker's answer completes on the other worker.
 */
import assert from "node:assert/strict";
import type { VoiceWsClient } from "../../../shared/protocol/ws_client.ts";
import { startStack, until } from "../../../harness/ws_stack.ts";

const AGENT_TEXT = "The first sentence of a long answer is spoken by one worker. The second sentence follows it. " +
  "A third sentence makes sure there is still text left to speak when the worker dies. And a fourth one ends it.";

async function textTurn(client: VoiceWsClient, text: string): Promise<void> {
  const from = client.events.length;
  client.sendText(text);
  const done = await client.waitFor((e) => e.type === "response.done" || e.type === "error", 60_000, from);
  assert.equal(done.type, "response.done", JSON.stringify(done));
  assert.equal(done.type === "response.done" && done.text, text);
}

async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: await response.json() };
}

Deno.test("e2e websocket: Redis restarts and worker deaths do not take sessions down", async (t) => {
  const stack = await startStack({ workers: 2 });
  try {
    await t.step("Redis restarted: open and new sessions keep working, health reports it", async () => {
      const open = await stack.connect();
      await open.start();
      await textTurn(open, "Before the outage.");
      await stack.redis.stop();
      let report = await health(stack.orchestrator.healthUrl);
      for (let i = 0; i < 50 && !(report.body.degraded as string[]).includes("redis"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        report = await health(stack.orchestrator.healthUrl);
      }
      assert.deepEqual(report.body.degraded, ["redis"], JSON.stringify(report.body));
      assert.equal(report.status, 200, "the service stays ready on the static fallback");
      await textTurn(open, "During the outage.");
      const fresh = await stack.connect();
      await fresh.start();
      await textTurn(fresh, "A new session during the outage.");
      await stack.redis.restart();
      for (let i = 0; i < 100 && (report.body.degraded as string[]).length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        report = await health(stack.orchestrator.healthUrl);
      }
      assert.deepEqual(report.body.degraded, [], JSON.stringify(report.body));
      await textTurn(open, "After the outage.");
      await Promise.all([open.close(), fresh.close()]);
    });

    await t.step("a worker killed mid-answer: the answer completes on the other worker", async () => {
      await until(
        () => stack.orchestrator.router.workers().filter((w) => w.healthy).length >= 2,
        "two healthy workers",
      );
      const client = await stack.connect();
      const started = await client.start();
      const sessionId = started.type === "session.started" ? started.sessionId : "";
      client.sendText(AGENT_TEXT);
      await client.waitFor((e) => e.type === "state" && e.state === "speaking", 60_000);
      await new Promise((r) => setTimeout(r, 500));
      const serving = stack.orchestrator.manager.get(sessionId)?.response?.worker;
      const victim = stack.workers.find((w) => w.name === serving);
      assert.ok(victim, `the serving worker "${serving}" is one of ${stack.workers.map((w) => w.name)}`);
      const framesBefore = client.frames.length;
      victim.process.kill("SIGKILL");
      const done = await client.waitFor((e) => e.type === "response.done" || e.type === "error", 60_000);
      assert.equal(done.type, "response.done", JSON.stringify(done));
      assert.equal(done.type === "response.done" && done.text, AGENT_TEXT);
      assert.equal(done.type === "response.done" && done.seqGaps, 0);
      assert.ok(
        client.frames.length > framesBefore + 100,
        `${client.frames.length - framesBefore} frames after the kill`,
      );
      const gaps = client.frames.slice(1).map((f, i) => f.atMs - client.frames[i].atMs);
      assert.ok(Math.max(...gaps) < 1_500, `longest silence in the answer: ${Math.max(...gaps)} ms`);
      assert.equal(client.ofType("error").length, 0);
      await client.close();
    });
  } finally {
    await stack.close();
  }
});
