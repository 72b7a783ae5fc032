import assert from "node:assert/strict";
import { createAuthenticator, MAX_TOKEN_TTL_SECONDS, mintToken } from "../../../orchestrator/transports/auth.ts";
import { credentialFromRequest } from "../../../orchestrator/transports/websocket/credentials.ts";

const SECRET = "0123456789abcdef0123456789abcdef";

Deno.test("auth: a configured API key is accepted as a stable fingerprint, never the key itself", async () => {
  const auth = createAuthenticator({ apiKeys: ["key-one", "key-two"] });
  const a = await auth.verify("key-two");
  const b = await auth.verify("key-two");
  assert.ok(a.ok && b.ok);
  assert.equal(a.principal, b.principal);
  assert.ok(!a.principal.includes("key-two"));
  assert.deepEqual(await auth.verify("key-three"), { ok: false, message: "unknown API key" });
  assert.deepEqual(await auth.verify(""), { ok: false, message: "no credentials: send an API key or a token" });
});

Deno.test("auth: a minted token verifies until it expires", async () => {
  let now = 1_700_000_000_000;
  const auth = createAuthenticator({ apiKeys: [], tokenSecret: SECRET, now: () => now });
  const token = await mintToken(SECRET, "user-42", 60, now);
  assert.deepEqual(await auth.verify(token), { ok: true, principal: "sub:user-42" });
  now += 61_000;
  assert.deepEqual(await auth.verify(token), { ok: false, message: "token expired" });
});

Deno.test("auth: tampered, foreign, malformed and long-lived tokens are refused with a reason", async () => {
  const now = Date.now();
  const auth = createAuthenticator({ apiKeys: [], tokenSecret: SECRET, now: () => now });
  const token = await mintToken(SECRET, "u", 60, now);
  const [v, payload, sig] = token.split(".");
  const forged = `${v}.${btoa(JSON.stringify({ sub: "admin", exp: now / 1000 + 60 })).replace(/=+$/, "")}.${sig}`;
  assert.deepEqual(await auth.verify(forged), { ok: false, message: "token signature does not match" });
  const foreign = await mintToken("another-secret-another-secret-xx", "u", 60, now);
  assert.equal((await auth.verify(foreign)).ok, false);
  assert.deepEqual(await auth.verify(`${v}.${payload}`), { ok: false, message: "malformed token" });
  assert.deepEqual(await auth.verify(`${v}.${payload}.%%%`), { ok: false, message: "malformed token signature" });
  await assert.rejects(() => mintToken(SECRET, "u", MAX_TOKEN_TTL_SECONDS + 1), /TTL/);
  const keysOnly = createAuthenticator({ apiKeys: ["k"] });
  assert.deepEqual(await keysOnly.verify(token), { ok: false, message: "tokens are not enabled on this server" });
});

Deno.test("auth: development mode accepts everyone as anonymous", async () => {
  const auth = createAuthenticator({ apiKeys: [], allowAnonymous: true });
  assert.deepEqual(await auth.verify(""), { ok: true, principal: "anonymous" });
});

Deno.test("credentials: found in Authorization, X-API-Key, the auth subprotocol and the query, in that order", () => {
  const req = (headers: Record<string, string>, query = "") => new Request(`http://h/${query}`, { headers });
  assert.deepEqual(credentialFromRequest(req({ authorization: "Bearer abc" })), {
    credential: "abc",
    protocol: undefined,
  });
  assert.deepEqual(credentialFromRequest(req({ "x-api-key": "k1" })), { credential: "k1", protocol: undefined });
  assert.deepEqual(credentialFromRequest(req({ "sec-websocket-protocol": "voice.v1, auth.tok" })), {
    credential: "tok",
    protocol: "voice.v1",
  });
  // Query strings end up in access logs: never an API key there, only a short-lived token.
  assert.deepEqual(credentialFromRequest(req({}, "?api_key=q")), { credential: "", protocol: undefined });
  assert.equal(credentialFromRequest(req({}, "?token=some-api-key")).credential, "");
  assert.equal(credentialFromRequest(req({}, "?token=v1.t.s&api_key=q")).credential, "v1.t.s");
  assert.deepEqual(credentialFromRequest(req({})), { credential: "", protocol: undefined });
});
