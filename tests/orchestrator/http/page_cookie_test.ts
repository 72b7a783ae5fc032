/**
 * The page-load cookie over real HTTP: a page that is not public sets a signed, HttpOnly, SameSite=Strict cookie when
 * it is served, `/api/connection-details` accepts it in place of an API key, and a script that never loaded the page,
 * a forged, expired or foreign-secret cookie get 401. Orchestrators sharing the secret accept each other's cookies.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createWebSide, type WebSideConfig } from "../../../orchestrator/http/web_side.ts";
import { mintPageCookie, PAGE_COOKIE_NAME } from "../../../orchestrator/http/page_cookie.ts";
import { createAuthenticator } from "../../../orchestrator/transports/auth.ts";
import { freePort } from "../../../harness/ports.ts";

const SECRET = "orchestrator-token-secret-0123456789abcdef";
const OTHER_SECRET = "another-token-secret-abcdef0123456789abcdef";

/** Runs one orchestrator web side (real Deno.serve) with a page, API keys configured, and the given config. */
async function withServer(
  config: Partial<WebSideConfig>,
  fn: (base: string, origin: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/index.html`, "<!doctype html><title>voice chat</title>");
  await Deno.writeTextFile(`${root}/app.js`, "console.log(1)");
  const port = freePort();
  const origin = `http://127.0.0.1:${port}`;
  const web = createWebSide(
    {
      LIVEKIT_API_KEY: undefined,
      LIVEKIT_API_SECRET: undefined,
      LIVEKIT_PUBLIC_URL: undefined,
      WEB_ALLOWED_ORIGINS: [],
      ORCHESTRATOR_TOKEN_SECRET: SECRET,
      PUBLIC_ORIGIN: [origin],
      ...config,
    } as WebSideConfig,
    {
      authenticator: createAuthenticator({ apiKeys: ["a-long-enough-api-key"], tokenSecret: SECRET }),
      livekit: null,
      webRoot: root,
    },
  );
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req, info) => web(req, info));
  try {
    await fn(`http://127.0.0.1:${port}`, origin);
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
}

/** Loads the page like a browser; returns the cookie pair (`name=value`) and the whole Set-Cookie line. */
async function loadPage(base: string, path = "/"): Promise<{ pair: string; line: string } | null> {
  const response = await fetch(`${base}${path}`);
  await response.body?.cancel();
  const line = response.headers.get("set-cookie");
  return line ? { pair: line.split(";")[0], line } : null;
}

function askForSession(base: string, origin: string, cookie?: string): Promise<Response> {
  return fetch(`${base}/api/connection-details`, {
    method: "POST",
    headers: { origin, ...(cookie ? { cookie } : {}) },
  });
}

Deno.test("page cookie: the served page sets a signed HttpOnly SameSite=Strict cookie for /api/ only", async () => {
  await withServer({}, async (base) => {
    const cookie = await loadPage(base);
    assert.ok(cookie, "no Set-Cookie on the page");
    assert.match(cookie.pair, new RegExp(`^${PAGE_COOKIE_NAME}=p1\\.\\d+\\.[\\w-]{16}\\.[\\w-]{43}$`));
    for (const attribute of ["HttpOnly", "SameSite=Strict", "Path=/api/", "Max-Age=600"]) {
      assert.ok(cookie.line.includes(attribute), `${attribute} missing in ${cookie.line}`);
    }
    assert.ok(!cookie.line.includes("Secure"), "an http page cannot keep a Secure cookie");
    assert.equal(await loadPage(base, "/app.js"), null, "only HTML pages carry the cookie");
  });
});

Deno.test("page cookie: a page that loaded gets a session and a WebSocket token without a key", async () => {
  await withServer({}, async (base, origin) => {
    const cookie = await loadPage(base);
    const response = await askForSession(base, origin, cookie!.pair);
    assert.equal(response.status, 200, await response.clone().text());
    const details = await response.json();
    assert.equal(details.transport, "websocket");
    assert.ok(details.websocket.token, "no WebSocket token for the page principal");
  });
});

Deno.test("page cookie: a script that never loaded the page gets 401 naming both ways in", async () => {
  await withServer({}, async (base, origin) => {
    const response = await askForSession(base, origin);
    assert.equal(response.status, 401);
    const body = await response.json();
    assert.match(body.message, /API key/);
    assert.match(body.message, /load this server's page first/);
  });
});

Deno.test("page cookie: forged, expired and foreign-secret cookies are refused with 401", async () => {
  await withServer({}, async (base, origin) => {
    const good = (await loadPage(base))!.pair;
    const forged = good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA");
    const expired = (await mintPageCookie(SECRET, { secure: false, nowMs: Date.now() - 601_000 })).split(";")[0];
    const foreign = (await mintPageCookie(OTHER_SECRET, { secure: false })).split(";")[0];
    for (
      const [name, cookie, message] of [
        ["forged", forged, /not valid here/],
        ["expired", expired, /too long ago/],
        ["foreign", foreign, /not valid here/],
        ["garbage", `${PAGE_COOKIE_NAME}=${"x".repeat(5000)}`, /not valid here/],
      ] as const
    ) {
      const response = await askForSession(base, origin, cookie);
      assert.equal(response.status, 401, name);
      assert.match((await response.json()).message, message, name);
    }
  });
});

Deno.test("page cookie: orchestrators with the same secret accept each other's cookies; the rotation secret too", async () => {
  const fromPeer = (await mintPageCookie(SECRET, { secure: false })).split(";")[0];
  await withServer({}, async (base, origin) => {
    assert.equal((await askForSession(base, origin, fromPeer)).status, 200);
  });
  const fromOldSecret = (await mintPageCookie(OTHER_SECRET, { secure: false })).split(";")[0];
  await withServer({ ORCHESTRATOR_TOKEN_SECRET_ACCEPT: OTHER_SECRET }, async (base, origin) => {
    assert.equal((await askForSession(base, origin, fromOldSecret)).status, 200);
  });
});

Deno.test("page cookie: Secure on an https page origin; none at all for a public page", async () => {
  await withServer({ PUBLIC_ORIGIN: ["https://voice.example"] }, async (base) => {
    assert.ok((await loadPage(base))!.line.includes("; Secure"));
  });
  await withServer({ WEB_PUBLIC: true }, async (base) => {
    assert.equal(await loadPage(base), null);
  });
});
