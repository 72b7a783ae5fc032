/**
 * Session placement by LiveKit's own agent dispatch across hosts: orchestrators on hosts A and B register as agent
 * workers (`LIVEKIT_AGENT_NAME`) with the LiveKit node on their own host; both nodes share the Redis on host A. Users
 * ask one orchestrator for connection details; LiveKit dispatches each new room to an orchestrator by reported load,
 * and a full one (`LIVEKIT_AGENT_CAPACITY`) gets none. Every user is greeted by an agent, wherever it runs.
 */
import assert from "node:assert/strict";
import { LiveKitTestUser } from "../../harness/livekit_test_user.ts";
import { Cluster, type ClusterOrchestrator, LIVEKIT_KEY, LIVEKIT_SECRET, ORCHESTRATOR_KEY } from "./cluster.ts";
import { sessionsOpen } from "./cluster.ts";
import { waitUntil } from "./host_process.ts";
import { leaveBounded } from "./livekit_peer.ts";

const CAPACITY = 3;

async function sessionsOn(orchestrator: ClusterOrchestrator): Promise<number> {
  const open = await sessionsOpen(orchestrator);
  return Number.isNaN(open) ? NaN : open;
}

Deno.test({
  name: "multihost: LiveKit dispatches rooms to orchestrators on two hosts by their load, skipping a full one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await Cluster.create(["a", "b", "c"]);
    await cluster.startRedis();
    await Promise.all([cluster.startLiveKit("a"), cluster.startLiveKit("b")]);
    await cluster.startWorker("c", "mock");
    const env = (host: string) => ({
      DEFAULT_MODEL: "mock-440hz",
      LIVEKIT_URL: cluster.livekitUrl(host),
      LIVEKIT_API_KEY: LIVEKIT_KEY,
      LIVEKIT_API_SECRET: LIVEKIT_SECRET,
      LIVEKIT_AGENT_NAME: "voice-agent",
      LIVEKIT_AGENT_CAPACITY: String(CAPACITY),
    });
    const one = await cluster.startOrchestrator("a", env("a"));
    const two = await cluster.startOrchestrator("b", env("b"));
    for (const o of [one, two]) {
      await waitUntil(
        `orchestrator on ${o.host} to register with LiveKit`,
        () => /registered with LiveKit/.test(o.process.output),
        {
          timeoutMs: 20_000,
          context: () => o.process.tail(),
        },
      );
    }
    const users: LiveKitTestUser[] = [];
    try {
      const placed: string[] = [];
      for (let i = 0; i < 2 * CAPACITY; i++) {
        // Alternate the orchestrators asked (as Caddy would; each also rate-limits a client address on its own): the
        // one asked does not decide where the room goes, LiveKit's dispatch does.
        const asked = i % 2 ? "b" : "a";
        const response = await fetch(`http://${cluster.net.address(asked)}:8080/api/connection-details`, {
          method: "POST",
          headers: { "x-api-key": ORCHESTRATOR_KEY },
        });
        const details = await response.json();
        assert.equal(details.transport, "livekit", JSON.stringify(details));
        const before = [await sessionsOn(one), await sessionsOn(two)];
        const user = await LiveKitTestUser.join(details.serverUrl, details.participantToken, 16_000);
        users.push(user);
        await user.waitForEvent("session.started", 20_000);
        await waitUntil("the session to show in /metrics", async () => {
          const after = [await sessionsOn(one), await sessionsOn(two)];
          return after[0] + after[1] === before[0] + before[1] + 1;
        }, { timeoutMs: 5_000 });
        placed.push((await sessionsOn(one)) > before[0] ? "a" : "b");
      }
      const spread = { a: placed.filter((h) => h === "a").length, b: placed.filter((h) => h === "b").length };
      console.log(`LiveKit agent dispatch of ${placed.length} rooms: ${placed.join(" ")} → ${JSON.stringify(spread)}`);
      // A full orchestrator reports WS_FULL and gets no more rooms: with capacity 3 each, 6 rooms land 3 and 3.
      assert.deepEqual(spread, { a: CAPACITY, b: CAPACITY });
    } finally {
      await Promise.all(users.map((u) => leaveBounded(u)));
    }
  },
});
