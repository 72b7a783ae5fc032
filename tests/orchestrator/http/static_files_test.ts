/** The web client's files: served from one folder only, with types, revalidation and the page's security headers. */
import assert from "node:assert/strict";
import { createStaticHandler, safeRelativePath } from "../../../orchestrator/http/static_files.ts";
import { createWebHandler } from "../../../orchestrator/http/web_routes.ts";

async function withSite(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "web-dist-" });
  try {
    await Deno.writeTextFile(`${root}/index.html`, "<!doctype html><title>voice</title>");
    await Deno.writeTextFile(`${root}/app.js`, "console.log(1)");
    await Deno.writeTextFile(`${root}/.env`, "SECRET=1");
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("static files: / is the page, with its security headers; scripts get their type", async () => {
  await withSite(async (root) => {
    const serve = createStaticHandler(root);
    const page = await serve(new Request("http://x/"));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
    assert.match(page.headers.get("permissions-policy")!, /microphone=\(self\)/);
    assert.equal(await page.text(), "<!doctype html><title>voice</title>");
    const script = await serve(new Request("http://x/app.js"));
    assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    const etag = script.headers.get("etag")!;
    await script.body?.cancel();
    const again = await serve(new Request("http://x/app.js", { headers: { "if-none-match": etag } }));
    assert.equal(again.status, 304);
  });
});

Deno.test("static files: paths that leave the folder or name hidden files are refused", async () => {
  await withSite(async (root) => {
    const serve = createStaticHandler(root);
    for (const path of ["/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.env", "/a%00b", "/..%5c..%5cx"]) {
      const response = await serve(new Request(`http://x${path}`));
      assert.ok(response.status === 400 || response.status === 404, `${path} → ${response.status}`);
      await response.body?.cancel();
    }
    assert.equal(safeRelativePath("/a/b.js"), "a/b.js");
    assert.equal(safeRelativePath("/a/../b"), null);
    const post = await serve(new Request("http://x/", { method: "POST" }));
    assert.equal(post.status, 405);
  });
});

Deno.test("static files: an unbuilt client says how to build it", async () => {
  const serve = createStaticHandler("/nonexistent/web/dist");
  const response = await serve(new Request("http://x/"));
  assert.equal(response.status, 404);
  assert.match(await response.text(), /deno task web:build/);
});

Deno.test("web routes: the token service path is separate from the files, and other /api paths are 404", async () => {
  await withSite(async (root) => {
    const handle = createWebHandler({ webRoot: root });
    const info = { remoteAddr: { hostname: "127.0.0.1" } };
    const details = await handle(new Request("http://x/api/connection-details", { method: "POST" }), info);
    assert.equal(details.status, 404);
    assert.match((await details.json()).message, /not enabled/);
    const other = await handle(new Request("http://x/api/other"), info);
    assert.equal(other.status, 404);
    await other.body?.cancel();
    const page = await handle(new Request("http://x/"), info);
    assert.equal(page.status, 200);
    await page.body?.cancel();
  });
});
