/** Rotating ORCHESTRATOR_TOKEN_SECRET without downtime: tokens of the accepted secret stay valid, others do not. */
import assert from "node:assert/strict";
import { createAuthenticator, mintToken } from "../../orchestrator/transports/auth.ts";

Deno.test("token rotation: ORCHESTRATOR_TOKEN_SECRET_ACCEPT keeps the old secret's tokens valid during a rotation", async () => {
  const oldSecret = "token-secret-old-0123456789abcdef0123";
  const newSecret = "token-secret-new-0123456789abcdef0123";
  const rotating = createAuthenticator({ apiKeys: [], tokenSecret: newSecret, acceptedTokenSecret: oldSecret });
  assert.ok((await rotating.verify(await mintToken(oldSecret, "u-old", 60))).ok);
  assert.ok((await rotating.verify(await mintToken(newSecret, "u-new", 60))).ok);
  const foreign = await rotating.verify(await mintToken("token-secret-other-0123456789abcdef", "x", 60));
  assert.deepEqual(foreign, { ok: false, message: "token signature does not match" });
  const expired = await rotating.verify(await mintToken(oldSecret, "u", 1, Date.now() - 10_000));
  assert.deepEqual(expired, { ok: false, message: "token expired" });
  const done = createAuthenticator({ apiKeys: [], tokenSecret: newSecret });
  assert.equal((await done.verify(await mintToken(oldSecret, "u-old", 60))).ok, false, "after the rotation");
});
