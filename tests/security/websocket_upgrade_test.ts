/**
 * Refusals that must come before the WebSocket upgrade (an HTTP answer, never an upgraded socket): a malformed
 * handshake (400/426), a foreign page (403), a bad credential (401), too many connections from one address (429);
 * plus the pre-start timeout, frame size, API keys in the query, and anonymous principals keyed by address.
 */
import assert from "node:assert/strict";
import { TrustedProxies } from "../../orchestrator/http/request_origin.ts";
import { createAuthenticator } from "../../orchestrator/transports/auth.ts";
import { DEFAULT_LIMITS } from "../../shared/protocol/limits.ts";
import { VoiceWsClient } from "../../shared/protocol/ws_client.ts";
import { upgradeStatus } from "../../harness/raw_upgrade.ts";
import { listenWebSocket } from "../orchestrator/transports/websocket_listener.ts";
import { startFakeBackedServer } from "../orchestrator/transports/fake_backed_server.ts";

const KEY = "upgrade-test-key-0123456789";

Deno.test("upgrade: malformed handshakes, foreign origins and bad credentials are HTTP refusals before the upgrade", async () => {
  const stack = await startFakeBackedServer({ apiKeys: [KEY] });
  const url = stack.server.url;
  const auth = { authorization: `Bearer ${KEY}` };
  try {
    assert.equal(await upgradeStatus(url, { ...auth, "sec-websocket-key": null }), 400, "no Sec-WebSocket-Key");
    assert.equal(await upgradeStatus(url, { ...auth, "sec-websocket-key": "short" }), 400);
    assert.equal(await upgradeStatus(url, { ...auth, "sec-websocket-version": "7" }), 426);
    assert.equal(await upgradeStatus(url, { ...auth, origin: "https://evil.example" }), 403);
    assert.equal(await upgradeStatus(url, {}), 401, "no credential");
    assert.equal(await upgradeStatus(url, { authorization: "Bearer wrong" }), 401);
    assert.equal(await upgradeStatus(`${url}/?api_key=${KEY}`, {}), 401, "an API key in the query is not accepted");
    assert.equal(await upgradeStatus(`${url}/?token=${KEY}`, {}), 401, "nor as a token");
    assert.equal(await upgradeStatus(url, auth), 101, "the well-formed request upgrades");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(stack.server.connectionCount() <= 1, "no refused request holds a connection");
  } finally {
    await stack.close();
  }
});

Deno.test("upgrade: one address may hold only maxConnectionsPerAddress connections; others are unaffected", async () => {
  const listener = await listenWebSocket({
    authenticator: createAuthenticator({ apiKeys: [KEY] }),
    acceptor: () => {
      throw new Error("no session in this test");
    },
    limits: { maxConnectionsPerAddress: 3, startTimeoutMs: 60_000 },
    trustedProxies: new TrustedProxies(["127.0.0.1"]),
  });
  const clients: VoiceWsClient[] = [];
  try {
    const from = (ip: string) => ({ authorization: `Bearer ${KEY}`, "x-forwarded-for": ip });
    for (let i = 0; i < 3; i++) {
      clients.push(await VoiceWsClient.connect(listener.url, { credential: KEY }));
    }
    assert.equal(await upgradeStatus(listener.url, from("127.0.0.1")), 429, "the fourth from the same address");
    assert.equal(await upgradeStatus(listener.url, from("203.0.113.5")), 101, "another client is still served");
    await clients.pop()!.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    clients.push(await VoiceWsClient.connect(listener.url, { credential: KEY }));
  } finally {
    for (const client of clients) await client.close();
    await listener.close();
  }
});

Deno.test("upgrade: a connection without session.start is closed within 3 s by default", async () => {
  assert.ok(DEFAULT_LIMITS.startTimeoutMs <= 3000);
  const stack = await startFakeBackedServer({ apiKeys: [KEY] });
  try {
    const client = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    const started = performance.now();
    const closed = await client.closed;
    assert.equal(closed.code, 4008);
    assert.ok(performance.now() - started < 3500, `${Math.round(performance.now() - started)} ms`);
  } finally {
    await stack.close();
  }
});

Deno.test("upgrade: anonymous clients (development mode) are told apart by address", async () => {
  const listener = await listenWebSocket({
    authenticator: createAuthenticator({ apiKeys: [], allowAnonymous: true }),
    acceptor: (request) => {
      principals.push(request.principal);
      throw new Error("recorded");
    },
    allowLoopbackOrigins: true,
  });
  const principals: string[] = [];
  try {
    const client = await VoiceWsClient.connect(listener.url);
    client.sendJson({ type: "session.start" });
    await client.closed.catch(() => {});
    assert.deepEqual(principals, ["anonymous:127.0.0.1"]);
    assert.equal(await upgradeStatus(listener.url, { origin: "http://localhost:5173" }), 101, "a loopback page");
    assert.equal(await upgradeStatus(listener.url, { origin: "https://evil.example" }), 403, "a foreign page");
  } finally {
    await listener.close();
  }
});

Deno.test("upgrade: an oversized text frame is refused by its length before it is encoded or parsed", async () => {
  const stack = await startFakeBackedServer({ apiKeys: [KEY] });
  try {
    const client = await VoiceWsClient.connect(stack.server.url, { credential: KEY });
    await client.start();
    client.sendRaw("x".repeat(DEFAULT_LIMITS.maxJsonBytes + 1));
    const error = await client.waitFor("error", 5000) as { code: string };
    assert.equal(error.code, "message_too_big");
    assert.equal((await client.closed).code, 1009);
  } finally {
    await stack.close();
  }
});
