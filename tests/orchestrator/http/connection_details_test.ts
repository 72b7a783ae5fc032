/**
 * `POST /api/connection-details` over real HTTP: the token it mints (verified with LiveKit's own verifier), the
 * server URL it derives behind Caddy and without it, who it serves (API key, same origin, development mode) and who
 * it refuses, the rate limit, the validation of session options, and the WebSocket fallback. The dispatcher here
 * only records rooms; the real agent joining a real LiveKit room is covered in
 * tests/orchestrator/transports/livekit/token_service_test.ts.
 */
import assert from "node:assert/strict";
import { TokenVerifier } from "livekit-server-sdk";
import {
  type ConnectionDetailsOptions,
  createConnectionDetailsHandler,
} from "../../../orchestrator/http/connection_details.ts";
import { createAuthenticator } from "../../../orchestrator/transports/auth.ts";
import { DispatchRefusedError, type RoomInvite } from "../../../orchestrator/transports/livekit/transport.ts";
import { freePort } from "../../../harness/ports.ts";
import { TrustedProxies } from "../../../orchestrator/http/request_origin.ts";

const CREDENTIALS = { apiKey: "lk-key", apiSecret: "lk-secret-0123456789abcdef0123456789abcdef" };
const TOKEN_SECRET = "orchestrator-token-secret-0123456789abcdef";

/** Records the rooms handed out; `fail` makes the next dispatches throw. */
class RecordingDispatcher {
  invites: RoomInvite[] = [];
  fail: Error | null = null;
  dispatch(invite: RoomInvite): Promise<void> {
    if (this.fail) return Promise.reject(this.fail);
    this.invites.push(invite);
    return Promise.resolve();
  }
}

type Overrides = Partial<ConnectionDetailsOptions> & { apiKeys?: string[]; noLivekit?: boolean };

async function withEndpoint(
  overrides: Overrides,
  fn: (
    call: (init?: RequestInit & { path?: string }) => Promise<Response>,
    dispatcher: RecordingDispatcher,
  ) => Promise<void>,
): Promise<void> {
  const dispatcher = new RecordingDispatcher();
  const apiKeys = overrides.apiKeys ?? ["right-key"];
  const handler = createConnectionDetailsHandler({
    livekit: overrides.noLivekit ? undefined : {
      credentials: CREDENTIALS,
      internalUrl: "ws://127.0.0.1:7880",
      dispatcher,
      ...overrides.livekit,
    },
    authenticator: createAuthenticator({ apiKeys, tokenSecret: TOKEN_SECRET, allowAnonymous: apiKeys.length === 0 }),
    tokenSecret: TOKEN_SECRET,
    allowedOrigins: overrides.allowedOrigins,
    publicOrigins: overrides.publicOrigins,
    webPublic: overrides.webPublic,
    trustedProxies: overrides.trustedProxies,
    rateLimit: overrides.rateLimit ?? { perMinute: 600, burst: 100 },
  });
  const port = freePort();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    (request, info) => handler(request, info),
  );
  try {
    await fn((init = {}) =>
      fetch(`http://127.0.0.1:${port}${init.path ?? "/api/connection-details"}`, {
        method: "POST",
        ...init,
      }), dispatcher);
  } finally {
    await server.shutdown();
  }
}

const sameOrigin = (port = "") => ({ origin: `http://127.0.0.1${port}` });

Deno.test("connection details: a keyed request gets a one-room token for 15 minutes and the agent is dispatched", async () => {
  await withEndpoint({}, async (call, dispatcher) => {
    const response = await call({ headers: { "x-api-key": "right-key" } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const body = await response.json();
    assert.equal(body.transport, "livekit");
    assert.match(body.roomName, /^voice-[0-9a-f-]{36}$/);
    assert.match(body.participantName, /^user-/);
    const claims = await new TokenVerifier(CREDENTIALS.apiKey, CREDENTIALS.apiSecret).verify(body.participantToken);
    assert.equal(claims.sub, body.participantName);
    assert.equal(claims.video?.room, body.roomName);
    assert.equal(claims.video?.roomJoin, true);
    assert.equal(claims.video?.canPublish, true);
    assert.equal(claims.video?.canSubscribe, true);
    assert.equal(claims.video?.canPublishData, true);
    assert.deepEqual(
      claims.video?.canPublishSources?.map(String),
      ["microphone"],
      "the microphone only: no camera or screen share",
    );
    assert.ok(!claims.video?.roomAdmin && !claims.video?.roomCreate && !claims.video?.roomList, "no admin grants");
    assert.ok(!claims.video?.canUpdateOwnMetadata);
    assert.equal(claims.exp! - claims.nbf!, 900, "15 minutes");
    assert.equal(dispatcher.invites.length, 1);
    const [invite] = dispatcher.invites;
    assert.deepEqual(invite.ticket, { roomName: body.roomName, userIdentity: body.participantName });
    assert.match(invite.principal, /^key:/);
    assert.deepEqual(invite.start, { type: "session.start" });
  });
});

Deno.test("connection details: behind Caddy an https page on 8443 gets wss on 8444 of the same host", async () => {
  await withEndpoint({}, async (call) => {
    const headers = {
      origin: "https://voice.example:8443",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "voice.example:8443",
      "x-forwarded-for": "198.51.100.7",
    };
    const body = await (await call({ headers: { ...headers, "x-api-key": "right-key" } })).json();
    assert.equal(body.serverUrl, "wss://voice.example:8444");
    assert.equal(body.websocket.url, "wss://voice.example:8443/ws");
  });
});

Deno.test("connection details: LIVEKIT_PUBLIC_URL wins; a plain-http page gets LiveKit on its own host name", async () => {
  await withEndpoint(
    { livekit: { publicUrl: "wss://rtc.example.com" } as ConnectionDetailsOptions["livekit"] },
    async (call) => {
      const body = await (await call({ headers: { "x-api-key": "right-key", "x-forwarded-proto": "https" } })).json();
      assert.equal(body.serverUrl, "wss://rtc.example.com");
    },
  );
  await withEndpoint({}, async (call) => {
    const body = await (await call({ headers: { "x-api-key": "right-key", "x-forwarded-host": "localhost:8080" } }))
      .json();
    assert.equal(body.serverUrl, "ws://localhost:7880");
    assert.equal(body.websocket.url, "ws://localhost:8080/ws");
  });
});

Deno.test("connection details: who is served and who is refused", async () => {
  await withEndpoint({}, async (call) => {
    assert.equal((await call({ headers: { "x-api-key": "wrong" } })).status, 401);
    assert.equal((await call({ headers: { authorization: "Bearer wrong" } })).status, 401);
    const noKey = await call();
    assert.equal(noKey.status, 401);
    assert.match((await noKey.json()).message, /API key/);
    const foreign = await call({ headers: { origin: "https://evil.example" } });
    assert.equal(foreign.status, 403);
    assert.equal((await foreign.json()).error, "forbidden_origin");
    assert.equal((await call({ method: "GET" })).status, 405);
  });
  await withEndpoint({ allowedOrigins: ["https://app.example.com"] }, async (call) => {
    const listed = await call({ headers: { origin: "https://app.example.com" } });
    assert.equal(listed.status, 401, "an allowed origin may ask, with a key");
    await listed.body?.cancel();
    const unlisted = await call({ headers: { origin: "https://other.example.com" } });
    assert.equal(unlisted.status, 403);
    await unlisted.body?.cancel();
  });
  await withEndpoint({ apiKeys: [] }, async (call, dispatcher) => {
    assert.equal((await call()).status, 200, "development mode serves anyone");
    assert.equal(dispatcher.invites[0].principal, "anonymous:127.0.0.1", "anonymous principals are keyed by address");
    assert.equal((await call({ headers: sameOrigin(":5173") })).status, 200, "a page on loopback");
    assert.equal((await call({ headers: { origin: "https://evil.example" } })).status, 403, "but not foreign pages");
  });
});

Deno.test("connection details: an Origin equal to the request's own Host grants nothing (forgeable)", async () => {
  await withEndpoint({}, async (call, dispatcher) => {
    const port = new URL((await call()).url).port;
    const forged = await call({ headers: sameOrigin(`:${port}`) });
    assert.equal(forged.status, 403, "same-origin by Host is not a credential when keys are configured");
    const body = await forged.json();
    assert.equal(body.websocket, undefined, "no WebSocket token for an unauthenticated principal");
    const evilHost = await call({ headers: { host: "evil.example", origin: "http://evil.example" } });
    assert.equal(evilHost.status, 403, "a Host and Origin of the client's choosing");
    await evilHost.body?.cancel();
    assert.equal(dispatcher.invites.length, 0, "no room was handed out");
  });
});

Deno.test("connection details: WEB_PUBLIC serves pages from PUBLIC_ORIGIN only, and URLs come from it", async () => {
  const page = "https://voice.example.com:8443";
  await withEndpoint({ webPublic: true, publicOrigins: [page] }, async (call, dispatcher) => {
    const browser = await call({ headers: { origin: page, host: "evil.example" } });
    assert.equal(browser.status, 200);
    const body = await browser.json();
    assert.equal(body.websocket.url, "wss://voice.example.com:8443/ws", "from PUBLIC_ORIGIN, not from Host");
    assert.equal(body.serverUrl, "wss://voice.example.com:8444");
    assert.equal(dispatcher.invites[0].principal, "web:127.0.0.1");
    const verdict = await createAuthenticator({ apiKeys: [], tokenSecret: TOKEN_SECRET }).verify(body.websocket.token);
    assert.ok(verdict.ok, "the public page's WebSocket fallback token is accepted by the WebSocket transport");
    const other = await call({ headers: { origin: "http://127.0.0.1:8080" } });
    assert.equal(other.status, 403);
    await other.body?.cancel();
  });
  await withEndpoint({ webPublic: false, publicOrigins: [page] }, async (call) => {
    const browser = await call({ headers: { origin: page } });
    assert.equal(browser.status, 401, "not public: the page needs a key too");
    await browser.body?.cancel();
  });
});

Deno.test("connection details: X-Forwarded-For is ignored unless the peer is a trusted proxy", async () => {
  const spoof = (call: (init?: RequestInit) => Promise<Response>, i: number) =>
    call({ headers: { "x-api-key": "right-key", "x-forwarded-for": `10.1.1.${i}` } });
  // The test client is on 127.0.0.1: with only 10.0.0.0/8 trusted, its forwarded headers are its own invention.
  await withEndpoint(
    { rateLimit: { perMinute: 6, burst: 2 }, trustedProxies: new TrustedProxies(["10.0.0.0/8"]) },
    async (call) => {
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const response = await spoof(call, i);
        statuses.push(response.status);
        await response.body?.cancel();
      }
      assert.deepEqual(statuses, [200, 200, 429, 429, 429], "a new X-Forwarded-For per request picks no new bucket");
    },
  );
});

Deno.test("connection details: the rate limit answers 429 with Retry-After, per client address", async () => {
  await withEndpoint({ rateLimit: { perMinute: 6, burst: 2 } }, async (call) => {
    const from = (ip: string) => call({ headers: { "x-api-key": "right-key", "x-forwarded-for": `10.0.0.9, ${ip}` } });
    assert.equal((await from("203.0.113.1")).status, 200);
    assert.equal((await from("203.0.113.1")).status, 200);
    const limited = await from("203.0.113.1");
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    await limited.body?.cancel();
    assert.equal((await from("203.0.113.2")).status, 200, "another address has its own budget");
  });
});

Deno.test("connection details: session options are validated with the protocol's schema", async () => {
  await withEndpoint({}, async (call, dispatcher) => {
    const post = (body: string, type = "application/json") =>
      call({ body, headers: { "x-api-key": "right-key", "content-type": type } });
    const ok = await post(JSON.stringify({ language: "en", model: "piper-en-us-joe-medium", responder: "echo" }));
    assert.equal(ok.status, 200);
    assert.deepEqual(dispatcher.invites[0].start, {
      type: "session.start",
      language: "en",
      model: "piper-en-us-joe-medium",
      responder: "echo",
    });
    const badLanguage = await post(JSON.stringify({ language: "e n!" }));
    assert.equal(badLanguage.status, 400);
    assert.match((await badLanguage.json()).message, /language/);
    const unknown = await post(JSON.stringify({ admin: true }));
    assert.equal(unknown.status, 400);
    assert.match((await unknown.json()).message, /admin/);
    assert.equal((await post("{oops")).status, 400);
    assert.equal((await post("{}", "text/plain")).status, 415);
    assert.equal((await post(JSON.stringify({ model: "x".repeat(5_000) }))).status, 413);
    assert.equal(dispatcher.invites.length, 1, "nothing refused was dispatched");
  });
});

Deno.test("connection details: without LiveKit, or when it cannot take the room, the reply offers WebSocket", async () => {
  await withEndpoint({ noLivekit: true }, async (call) => {
    const body = await (await call({ headers: { "x-api-key": "right-key" } })).json();
    assert.equal(body.transport, "websocket");
    assert.match(body.reason, /not configured/);
    assert.equal(body.serverUrl, undefined);
    assert.match(body.websocket.url, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
  });
  await withEndpoint({}, async (call, dispatcher) => {
    dispatcher.fail = new Error("engine: signal failure: connection refused");
    const body = await (await call({ headers: { "x-api-key": "right-key" } })).json();
    assert.equal(body.transport, "websocket");
    assert.match(body.reason, /unreachable/);
    assert.doesNotMatch(JSON.stringify(body), /engine|signal failure|connection refused/, "no internals to clients");
    dispatcher.fail = new DispatchRefusedError("the server is at its connection limit", 503);
    const full = await call({ headers: { "x-api-key": "right-key" } });
    assert.equal(full.status, 503);
    assert.equal((await full.json()).error, "server_full");
  });
});
