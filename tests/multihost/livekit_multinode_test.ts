/**
 * LiveKit's own multi-node mode on two test hosts sharing one Redis: a participant that enters through node 2
 * reaches a room that lives on node 1 (signalling relayed over Redis, media straight to node 1), and when node 2 is
 * killed its users rejoin through node 1 and talk again.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { Cluster } from "./cluster.ts";
import { waitUntil } from "./host_process.ts";
import { LiveKitPeer } from "./livekit_peer.ts";

/** The host whose LiveKit node holds `room`, from LiveKit's own Redis keys (`room_node_map`, `nodes`). */
async function roomHost(redis: Redis, cluster: Cluster, room: string): Promise<string | undefined> {
  const nodeId = await redis.hget("room_node_map", room);
  if (!nodeId) return undefined;
  const node = await redis.hget("nodes", nodeId);
  return ["a", "b"].find((host) => node?.includes(cluster.net.address(host)));
}

/** Waits until `peer` got a packet from `from` with text `text`; returns when it arrived. */
async function delivered(peer: LiveKitPeer, from: LiveKitPeer, text: string): Promise<number> {
  await waitUntil(`${peer.identity} to receive "${text}" from ${from.identity}`, async () => {
    await from.send(text).catch(() => {});
    return peer.received.some((p) => p.from === from.identity && p.text === text);
  }, { timeoutMs: 15_000, everyMs: 200 });
  return peer.received.find((p) => p.from === from.identity && p.text === text)!.atMs;
}

Deno.test({
  name:
    "multihost: a user entering through LiveKit node 2 joins a room on node 1, and rejoins through node 1 when node 2 dies",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await Cluster.create(["a", "b"]);
    await cluster.startRedis();
    await cluster.startLiveKit("a");
    const node2 = await cluster.startLiveKit("b");
    const redis = new Redis(cluster.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
    const peers: LiveKitPeer[] = [];
    try {
      await waitUntil("both LiveKit nodes in Redis", async () => (await redis.hlen("nodes")) === 2, {
        timeoutMs: 15_000,
        context: () => cluster.tails(),
      });
      // The room goes to whichever node LiveKit's selector picks: open rooms through node 1 until one lives there.
      let room = "";
      let owner: LiveKitPeer | undefined;
      for (let attempt = 0; attempt < 12 && !room; attempt++) {
        const name = `multinode-${attempt}-${crypto.randomUUID().slice(0, 8)}`;
        const peer = await LiveKitPeer.join(cluster.livekitUrl("a"), name, "owner");
        const host = await roomHost(redis, cluster, name);
        if (host === "a") [room, owner] = [name, peer];
        else await peer.leave();
      }
      assert.ok(room && owner, "LiveKit never placed a room on node 1 in 12 tries");
      peers.push(owner);

      const visitor = await LiveKitPeer.join(cluster.livekitUrl("b"), room, "visitor");
      peers.push(visitor);
      assert.equal(await roomHost(redis, cluster, room), "a", "the room moved off node 1");
      await waitUntil(
        "both participants to see each other",
        () => visitor.remoteIdentities().includes("owner") && owner!.remoteIdentities().includes("visitor"),
      );
      await delivered(visitor, owner, "hello from node 1's side");
      await delivered(owner, visitor, "hello from node 2's side");

      // Node 2 dies: the visitor's signalling connection goes with it. A client does not wait for its SDK to give up
      // resuming on a dead node: on the first sign of trouble it enters again through another node.
      const killedAt = performance.now();
      node2.kill("SIGKILL");
      await node2.status;
      await waitUntil("the visitor to notice node 2 is gone", () => visitor.reconnectingAtMs !== null, {
        timeoutMs: 30_000,
      });
      const noticed = visitor.reconnectingAtMs! - killedAt;
      await visitor.leave();
      const rejoined = await LiveKitPeer.join(cluster.livekitUrl("a"), room, "visitor");
      peers.push(rejoined);
      const talking = await delivered(rejoined, owner, "welcome back");
      await delivered(owner, rejoined, "back through node 1");
      console.log(
        `LiveKit node 2 killed → visitor noticed after ${Math.round(noticed)} ms, ` +
          `talking again through node 1 after ${Math.round(talking - killedAt)} ms`,
      );
    } finally {
      await Promise.all(peers.map((peer) => peer.leave()));
      redis.disconnect();
    }
  },
});
