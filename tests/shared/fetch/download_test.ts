/** The shared downloader against local servers: verified atomic writes, idempotence and clear failures. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DownloadError, downloadFile } from "../../../shared/fetch/mod.ts";
import { serveRoutes, truncatingServer } from "./local_server.ts";

const BODY = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
const SHA = createHash("sha256").update(BODY).digest("hex");

async function inTemp(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "download-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const leftovers = async (dir: string) => (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("downloadFile writes the verified file, reports progress, and skips it the second time", async () => {
  const server = serveRoutes({ "/f.bin": { bytes: BODY, headers: { "x-linked-etag": `"${SHA}"` } } });
  try {
    await inTemp(async (dir) => {
      const seen: number[] = [];
      const first = await downloadFile({
        url: `${server.url}/f.bin`,
        dest: `${dir}/sub/f.bin`,
        expectedSize: BODY.length,
        onProgress: (received) => seen.push(received),
      });
      assert.equal(first.skipped, false);
      assert.equal(first.sha256, SHA);
      assert.deepEqual(await Deno.readFile(`${dir}/sub/f.bin`), BODY);
      assert.equal(seen.at(-1), BODY.length);
      const second = await downloadFile({ url: `${server.url}/f.bin`, dest: `${dir}/sub/f.bin`, onProgress: null });
      assert.equal(second.skipped, true);
      assert.equal(server.hits.get("/f.bin"), 1, "the second call made no request");
      assert.deepEqual(await leftovers(`${dir}/sub`), ["f.bin", "f.bin.sha256"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("downloadFile refuses a checksum mismatch, a 404 and a truncated body, leaving nothing behind", async () => {
  const server = serveRoutes({ "/f.bin": { bytes: BODY } });
  const cut = truncatingServer(BODY.subarray(0, 1000), BODY.length);
  try {
    await inTemp(async (dir) => {
      const dest = `${dir}/f.bin`;
      await assert.rejects(
        downloadFile({ url: `${server.url}/f.bin`, dest, sha256: "0".repeat(64), onProgress: null }),
        (e: Error) =>
          e instanceof DownloadError && /checksum mismatch: SHA-256 [0-9a-f]{64}, expected 0{64}/.test(e.message),
      );
      await assert.rejects(
        downloadFile({ url: `${server.url}/missing.bin`, dest, onProgress: null }),
        (e: Error) => e instanceof DownloadError && /missing\.bin failed: HTTP 404/.test(e.message),
      );
      await assert.rejects(
        downloadFile({ url: `${cut.url}/f.bin`, dest, onProgress: null }),
        (e: Error) => e instanceof DownloadError && /(truncated|connection lost)/.test(e.message),
      );
      await assert.rejects(
        downloadFile({ url: `${server.url}/f.bin`, dest, expectedSize: 5, onProgress: null }),
        /size mismatch: received 300000 bytes, expected 5/,
      );
      assert.deepEqual(await leftovers(dir), []);
    });
  } finally {
    await server.close();
    await cut.close();
  }
});

Deno.test("downloadFile replaces a present file whose content no longer matches its recorded checksum", async () => {
  const server = serveRoutes({ "/f.bin": { bytes: BODY } });
  try {
    await inTemp(async (dir) => {
      const dest = `${dir}/f.bin`;
      await downloadFile({ url: `${server.url}/f.bin`, dest, onProgress: null });
      await Deno.writeFile(dest, new Uint8Array([1, 2, 3]));
      const again = await downloadFile({ url: `${server.url}/f.bin`, dest, onProgress: null });
      assert.equal(again.skipped, false);
      assert.deepEqual(await Deno.readFile(dest), BODY);
    });
  } finally {
    await server.close();
  }
});
