/**
 * A worker host partitioned from Redis (its control link down) while it still serves on the data network: it leaves
 * the registry within its TTL, rejoins about one heartbeat after the link heals, and then keeps heartbeating (its Redis
 * client once came back, wrote one heartbeat and was never ready again). Three partitions in a row, because the stuck
 * client showed up in about half of the runs. A mock worker is enough: this is about the registry, not the voice.
 */
import assert from "node:assert/strict";
import { Cluster } from "./cluster.ts";
import { waitUntil } from "./host_process.ts";

const HEARTBEAT_MS = 1000;
const TTL_MS = 3000;
const PARTITIONS = 3;
/** Heartbeats watched after each heal. */
const WATCHED_BEATS = 5;

Deno.test({
  name:
    "multihost: a worker partitioned from Redis leaves within its TTL, rejoins within a beat and keeps heartbeating",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await Cluster.create(["a", "e"]);
    await cluster.startRedis();
    const env = { WORKER_HEARTBEAT_MS: String(HEARTBEAT_MS), WORKER_TTL_MS: String(TTL_MS) };
    const worker = await cluster.startWorker("e", "mock", env);
    const directory = await cluster.directory();
    await waitUntil(`${worker.name} to register`, () => directory.get(worker.name) !== undefined);
    for (let round = 1; round <= PARTITIONS; round++) {
      const cutAt = performance.now();
      await cluster.net.cut(worker.host, "control");
      await waitUntil(`${worker.name} to leave`, () => !directory.get(worker.name), { timeoutMs: TTL_MS + 2000 });
      const leftMs = performance.now() - cutAt;
      // Still serving: its gRPC port answers on the data network all along.
      const conn = await Deno.connect({ hostname: cluster.net.address(worker.host), port: 7002 });
      conn.close();
      await new Promise((r) => setTimeout(r, 500 + 500 * round));
      const healAt = performance.now();
      await cluster.net.heal(worker.host, "control");
      await waitUntil(`${worker.name} to rejoin`, () => directory.get(worker.name) !== undefined, {
        timeoutMs: 10_000,
        context: () => worker.process.tail(),
      });
      const rejoinMs = performance.now() - healAt;
      // Then it must go on: every heartbeat after the rejoin lands (the directory sees `heartbeatAt` move each beat).
      const beats = new Set<number>();
      let longestMs = 0;
      let lastChange = performance.now();
      const watchUntil = lastChange + WATCHED_BEATS * HEARTBEAT_MS;
      while (performance.now() < watchUntil) {
        const at = directory.get(worker.name)?.heartbeatAt;
        if (at !== undefined && !beats.has(at)) {
          beats.add(at);
          longestMs = Math.max(longestMs, performance.now() - lastChange);
          lastChange = performance.now();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      longestMs = Math.max(longestMs, performance.now() - lastChange);
      console.log(
        `partition ${round}: left after ${Math.round(leftMs)} ms (TTL ${TTL_MS}), rejoined ${
          Math.round(rejoinMs)
        } ms ` +
          `after healing (beat ${HEARTBEAT_MS}), then ${beats.size} heartbeats in ${WATCHED_BEATS} beats, ` +
          `longest gap ${Math.round(longestMs)} ms`,
      );
      const context = `\n${worker.process.tail(20)}`;
      // The directory polls every 100 ms; the worker's reconnect attempts run every quarter beat.
      assert.ok(leftMs <= TTL_MS + 500, `left after ${leftMs} ms`);
      assert.ok(rejoinMs <= HEARTBEAT_MS + 500, `rejoined after ${rejoinMs} ms${context}`);
      assert.ok(beats.size >= WATCHED_BEATS - 1, `only ${beats.size} heartbeats in ${WATCHED_BEATS} beats${context}`);
      assert.ok(longestMs <= 2 * HEARTBEAT_MS, `no heartbeat for ${Math.round(longestMs)} ms${context}`);
    }
  },
});
