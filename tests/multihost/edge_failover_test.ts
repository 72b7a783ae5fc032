/**
 * Caddy on host A in front of orchestrators on hosts A and B (`configs/multihost/Caddyfile`: least_conn, active
 * `/health` checks, retries), the TTS worker on host C:
 * - WebSocket sessions through Caddy are spread over both orchestrators;
 * - `/api/connection-details` answers through Caddy whichever orchestrator is up;
 * - host B dies: its users' sessions close, they reconnect through Caddy to orchestrator 1, get a new session (a new
 *   `session.started` with a new id) and speak again, within 3 s.
 */
import assert from "node:assert/strict";
import { VoiceWsClient } from "../../shared/protocol/ws_client.ts";
import { float32ToInt16 } from "../../shared/audio/pcm.ts";
import { speak } from "../../harness/speech.ts";
import { Cluster, type ClusterOrchestrator, ORCHESTRATOR_KEY } from "./cluster.ts";
import { sessionsOpen } from "./cluster.ts";
import { waitUntil } from "./host_process.ts";

const USERS = 6;

async function sessionsOn(orchestrator: ClusterOrchestrator): Promise<number> {
  const open = await sessionsOpen(orchestrator);
  return Number.isNaN(open) ? NaN : open;
}

/** A user of the edge: one session at a time, reconnecting through Caddy when the session is lost. */
class EdgeUser {
  client!: VoiceWsClient;
  sessionIds: string[] = [];
  lostAt: number | null = null;
  backAt: number | null = null;
  #stopped = false;

  constructor(readonly url: string) {}

  async connect(): Promise<void> {
    this.client = await VoiceWsClient.connect(this.url, { credential: ORCHESTRATOR_KEY });
    const started = await this.client.start({ audio: { sampleRate: 16_000 } });
    if (started.type === "session.started") this.sessionIds.push(started.sessionId);
    const client = this.client;
    void client.closed.then(() => this.#lost(client));
  }

  /** Like the page: on a lost session, reconnect at once and again every 200 ms until a new session starts. */
  async #lost(client: VoiceWsClient): Promise<void> {
    if (this.#stopped || client !== this.client) return;
    this.lostAt = performance.now();
    while (!this.#stopped) {
      try {
        await this.connect();
        this.backAt = performance.now();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.client?.close().catch(() => {});
  }
}

Deno.test({
  name:
    "multihost: Caddy spreads sessions over two orchestrators and, when one host dies, its users are back within 3 s",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await Cluster.create(["a", "b", "c"]);
    await cluster.startRedis();
    await cluster.startWorker("c", "mock");
    const env = { DEFAULT_MODEL: "mock-440hz" };
    const [one, two] = [await cluster.startOrchestrator("a", env), await cluster.startOrchestrator("b", env)];
    const edge = await cluster.startCaddy("a", ["a", "b"]);
    const users: EdgeUser[] = [];
    try {
      const details = await fetch(`${edge.url}/api/connection-details`, {
        method: "POST",
        headers: { "x-api-key": ORCHESTRATOR_KEY },
      });
      assert.equal(details.status, 200, await details.clone().text());
      assert.equal((await details.json()).transport, "websocket");

      for (let i = 0; i < USERS; i++) {
        const user = new EdgeUser(edge.wsUrl);
        await user.connect();
        users.push(user);
      }
      const before = [await sessionsOn(one), await sessionsOn(two)];
      console.log(`sessions through Caddy: orchestrator 1 ${before[0]}, orchestrator 2 ${before[1]}`);
      assert.deepEqual(before, [USERS / 2, USERS / 2], "least_conn spreads the sessions evenly");

      const killedAt = performance.now();
      await cluster.net.killHost("b");
      await waitUntil(
        "users of host B to lose their session",
        () => users.filter((u) => u.lostAt).length === USERS / 2,
        {
          timeoutMs: 5_000,
        },
      );
      const moved = users.filter((u) => u.lostAt);
      await waitUntil("every user of host B to have a new session", () => moved.every((u) => u.backAt), {
        timeoutMs: 10_000,
        context: () => edge.process.tail(),
      });
      const backMs = moved.map((u) => Math.round(u.backAt! - killedAt));
      console.log(
        `orchestrator host B killed: its ${moved.length} users had new sessions after ${backMs.join(", ")} ms`,
      );
      for (const user of moved) {
        assert.equal(user.sessionIds.length, 2);
        assert.notEqual(user.sessionIds[0], user.sessionIds[1], "the new session says it is a new one");
      }
      assert.ok(Math.max(...backMs) < 3000, `back after ${Math.max(...backMs)} ms`);
      assert.equal(await sessionsOn(one), USERS);

      // A moved user speaks and is answered by orchestrator 1.
      const speech = await speak({ text: "Are you still there?", voice: "piper-joe", leadMs: 300, tailMs: 1000 });
      const client = moved[0].client;
      await client.streamRealtime(float32ToInt16(speech.samples), 16_000);
      const done = await client.waitFor((e) => e.type === "response.done" || e.type === "error", 60_000);
      assert.equal(done.type, "response.done", JSON.stringify(done));

      // connection-details still answers through Caddy with orchestrator 2 gone.
      const after = await fetch(`${edge.url}/api/connection-details`, {
        method: "POST",
        headers: { "x-api-key": ORCHESTRATOR_KEY },
      });
      assert.equal(after.status, 200);
      await after.body?.cancel();
    } finally {
      await Promise.all(users.map((u) => u.close()));
    }
  },
});
