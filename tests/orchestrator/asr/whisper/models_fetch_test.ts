/**
 * `models:fetch` against a local HTTP server (Deno.serve on a free loopback port) serving the tiny.en model that
 * setup converted, in both publishing styles: with our manifest.json, and Hugging-Face style with the SHA-256 in the
 * ETag. Checks progress, checksums, atomic installation, idempotence and the engine loading the result.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fetchWhisperModel } from "../../../../orchestrator/asr/whisper/fetch_model.ts";
import { runModelsFetch } from "../../../../orchestrator/asr/whisper/models_fetch.ts";
import { sha256File } from "../../../../shared/fetch/mod.ts";
import { freePort } from "../../../../harness/ports.ts";
import { speak } from "../../../../harness/speech.ts";
import { wordErrorRate } from "../../../../harness/wer.ts";
import { loadTinyEn, requireTinyEn, SENTENCES, TINY_EN } from "../../../../harness/whisper_fixtures.ts";

interface ServerOptions {
  /** Serve manifest.json (else 404 and an ETag with each file's SHA-256, as Hugging Face does). */
  manifest: boolean;
  /** Flip one byte of this file in transit. */
  corrupt?: string;
}

async function withServer(options: ServerOptions, fn: (template: string, requests: string[]) => Promise<void>) {
  await requireTinyEn();
  const requests: string[] = [];
  const hashes = new Map<string, string>();
  const port = freePort();
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const [, name, file] = new URL(req.url).pathname.split("/");
    requests.push(file);
    if (name !== "tiny.en" || (file === "manifest.json" && !options.manifest) || file.includes("..")) {
      return new Response("not found", { status: 404 });
    }
    const path = `${TINY_EN}/${file}`;
    const bytes = await Deno.readFile(path).catch(() => null);
    if (!bytes) return new Response("not found", { status: 404 });
    if (file === options.corrupt) bytes[bytes.length >> 1] ^= 0xff;
    const headers = new Headers({ "content-length": String(bytes.length) });
    if (!options.manifest && file.endsWith(".onnx")) {
      if (!hashes.has(path)) hashes.set(path, await sha256File(path));
      headers.set("etag", `"${hashes.get(path)}"`);
    }
    return new Response(bytes, { headers });
  });
  try {
    await fn(`http://127.0.0.1:${port}/{name}/{file}`, requests);
  } finally {
    await server.shutdown();
  }
}

Deno.test("models:fetch downloads a verified model with progress, then leaves it alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withServer({ manifest: true }, async (urlTemplate, requests) => {
      const progress = new Map<string, number>();
      const fetched = await fetchWhisperModel("tiny.en", {
        modelsDir: dir,
        urlTemplate,
        int8: true,
        onProgress: (file, received) => progress.set(file, received),
      });
      assert.equal(fetched.downloaded, true);
      assert.equal(progress.get("tiny.en-decoder.onnx"), (await Deno.stat(`${TINY_EN}/tiny.en-decoder.onnx`)).size);
      assert.equal(progress.size, 5);
      for (const file of fetched.files) {
        assert.equal(await sha256File(`${dir}/tiny.en/${file}`), await sha256File(`${TINY_EN}/${file}`), file);
      }
      requests.length = 0;
      const again = await fetchWhisperModel("tiny.en", { modelsDir: dir, urlTemplate, int8: true, onProgress: null });
      assert.equal(again.downloaded, false);
      assert.deepEqual(requests, [], "a verified model was requested again");
    });
    const engine = await loadTinyEn({ modelsDir: dir });
    try {
      const got = await engine.transcribe((await speak({ text: SENTENCES[6], voice: "piper-joe" })).samples);
      assert.ok(wordErrorRate(SENTENCES[6], got.text) <= 0.15, got.text);
    } finally {
      await engine.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupted download fails on its checksum and installs nothing", async () => {
  for (const manifest of [true, false]) {
    const dir = await Deno.makeTempDir();
    try {
      await withServer({ manifest, corrupt: "tiny.en-decoder.onnx" }, async (urlTemplate) => {
        await assert.rejects(
          fetchWhisperModel("tiny.en", { modelsDir: dir, urlTemplate, onProgress: null }),
          /tiny\.en-decoder\.onnx.*checksum mismatch/s,
        );
      });
      assert.deepEqual([...Deno.readDirSync(dir)], [], "staging or partial files were left behind");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("the CLI fetches by name from --url-template and exits non-zero naming a missing model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withServer({ manifest: false }, async (urlTemplate) => {
      const env = { ASR_MODELS_DIR: dir };
      assert.equal(await runModelsFetch(["whisper-tiny.en", "--url-template", urlTemplate], env), 0);
      assert.ok((await Deno.stat(`${dir}/tiny.en/tiny.en-encoder.onnx`)).isFile);
      assert.equal(await runModelsFetch(["whisper-base.en", `--url-template=${urlTemplate}`], env), 1);
      assert.equal(await Deno.stat(`${dir}/base.en`).catch(() => null), null);
      assert.equal(await runModelsFetch(["whisper-huge"], env), 2);
      assert.equal(await runModelsFetch(["--url-template", "http://x/no-placeholder"], env), 2);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
