/**
 * A corpus of malformed and hostile client inputs against the real WebSocket transport and session manager: every
 * one gets an `error` event naming the problem and a close code, the server keeps running, and a session that was
 * open the whole time keeps working.
 */
import assert from "node:assert/strict";
import { VoiceWsClient } from "../../../shared/protocol/ws_client.ts";
import { mintToken } from "../../../orchestrator/transports/auth.ts";
import { startFakeBackedServer } from "./fake_backed_server.ts";
import { corpus, KEY, runHostileCase } from "./hostile_corpus.ts";

const CANARY_KEY = "canary-key";
const SECRET = "hostile-corpus-secret-0123456789abcdef";

Deno.test("websocket: ≥100 hostile inputs each get an error event and a close code; the server and a live session carry on", async () => {
  const stack = await startFakeBackedServer({
    apiKeys: [KEY, CANARY_KEY],
    tokenSecret: SECRET,
    limits: { startTimeoutMs: 300 },
  });
  try {
    const now = Date.now();
    const valid = await mintToken(SECRET, "u1", 60, now);
    const [v, , sig] = valid.split(".");
    const forgedPayload = btoa(JSON.stringify({ sub: "admin", exp: Math.floor(now / 1000) + 60 })).replace(/=+$/, "");
    const tokens = {
      expired: await mintToken(SECRET, "u1", 1, now - 10_000),
      foreign: await mintToken("some-other-secret-0123456789abcdef", "u1", 60, now),
      forged: `${v}.${forgedPayload}.${sig}`,
      unsigned: valid.split(".").slice(0, 2).join("."),
    };
    const canary = await VoiceWsClient.connect(stack.server.url, { credential: CANARY_KEY });
    await canary.start();
    const cases = corpus(tokens);
    assert.ok(cases.length >= 100, `corpus has ${cases.length} cases`);
    const failures: string[] = [];
    for (const c of cases) failures.push(...await runHostileCase(stack.server.url, c));
    assert.deepEqual(failures, []);
    // Every error event a hostile client got counts in the errors metric by its code.
    const counted = stack.metrics.registry.render().split("\n").filter((l) => l.startsWith("voicechat_errors_total{"))
      .reduce((sum, line) => sum + Number(line.split(" ")[1]), 0);
    assert.ok(counted >= cases.length, `${counted} errors counted for ${cases.length} hostile inputs`);
    for (const code of ["unauthorized", "bad_json", "bad_message", "start_timeout"]) {
      assert.ok(stack.metrics.errors.get({ code }) > 0, `${code} is counted`);
    }
    // The canary's session still works end to end, and nothing else is left open.
    canary.sendText("still here");
    const done = await canary.waitFor("response.done", 10_000);
    assert.equal((done as { text: string }).text, "still here");
    assert.equal(canary.frames.length, "still here ".length);
    assert.equal(stack.server.connectionCount(), 1);
    assert.equal(stack.manager.size, 1);
    await canary.close();
  } finally {
    await stack.close();
  }
});

Deno.test("websocket: a key holding its maximum of sessions is refused another with 4029", async () => {
  const stack = await startFakeBackedServer({ apiKeys: [KEY], maxSessionsPerKey: 2 });
  try {
    const a = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    const b = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    await a.start();
    await b.start();
    const c = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    await assert.rejects(() => c.start(), /too_many_sessions/);
    assert.equal((await c.closed).code, 4029);
    assert.equal(stack.metrics.errors.get({ code: "too_many_sessions" }), 1, "the refusal counts by its code");
    assert.equal(stack.metrics.sessionsActive.get({ transport: "websocket" }), 2);
    await a.close();
    await new Promise((r) => setTimeout(r, 50));
    const d = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    await d.start();
    await Promise.all([b.close(), d.close()]);
  } finally {
    await stack.close();
  }
});

Deno.test("websocket: with every TTS worker full a new session is refused at once as busy (1013), later accepted", async () => {
  const stack = await startFakeBackedServer({ apiKeys: [KEY] });
  try {
    stack.router.busyReason = "all 2 TTS worker(s) that can serve the default model are at their session limit";
    const refused = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    await assert.rejects(() => refused.start(), /busy.*session limit/);
    assert.equal((await refused.closed).code, 1013);
    assert.equal(stack.manager.size, 0);
    stack.router.busyReason = null;
    const accepted = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    await accepted.start();
    await accepted.close();
  } finally {
    await stack.close();
  }
});

Deno.test("websocket: plain HTTP requests get 426 and a pointer to the protocol", async () => {
  const stack = await startFakeBackedServer({ apiKeys: [KEY] });
  try {
    const response = await fetch(stack.server.url.replace("ws://", "http://"));
    assert.equal(response.status, 426);
    assert.match(await response.text(), /protocol/);
  } finally {
    await stack.close();
  }
});
