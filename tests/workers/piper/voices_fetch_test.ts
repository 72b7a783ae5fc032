/**
 * `voices:fetch` against a local HTTP server laid out like piper-voices and serving the real joe voice: the voice
 * lands in its voicepack folder and loads; a second run downloads nothing; a 404, a checksum mismatch and a bad id
 * fail clearly; the deno task itself works with its scoped permissions.
 */
import assert from "node:assert/strict";
import { serveRoutes } from "../../shared/fetch/local_server.ts";
import { taskCommand } from "../../../harness/task_process.ts";
import { fetchVoice } from "../../../workers/piper/voices_fetch.ts";
import { PiperAdapter } from "../../../workers/piper/piper_adapter.ts";
import { JOE_ONNX, requireJoeVoice, VOICEPACKS_DIR } from "./piper_fixtures.ts";
import { resolveRepoPath } from "../../../harness/sox.ts";

const VOICE_PATH = "/en/en_US/joe/medium";
const JOE_DIR = JOE_ONNX.slice(0, JOE_ONNX.lastIndexOf("/"));

function joeServer(overrides: Record<string, { headers?: Record<string, string>; status?: number }> = {}) {
  const file = (name: string) => ({ file: `${JOE_DIR}/${name}`, ...overrides[name] });
  return serveRoutes({
    [`${VOICE_PATH}/en_US-joe-medium.onnx`]: file("en_US-joe-medium.onnx"),
    [`${VOICE_PATH}/en_US-joe-medium.onnx.json`]: file("en_US-joe-medium.onnx.json"),
    [`${VOICE_PATH}/MODEL_CARD`]: file("MODEL_CARD"),
  });
}

const template = (url: string) => `${url}/{lang_family}/{lang_code}/{name}/{quality}/{lang_code}-{name}-{quality}{ext}`;

async function inVoicepacks(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ dir: VOICEPACKS_DIR, prefix: ".test-fetch-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("voices:fetch downloads a voice into its voicepack folder once, then finds it present", async () => {
  await requireJoeVoice();
  const server = joeServer();
  try {
    await inVoicepacks(async (dir) => {
      const options = { voicepacksDir: dir, urlTemplate: template(server.url), onProgress: null };
      const first = await fetchVoice("piper-en-us-joe-medium", options);
      assert.equal(first.dir, `${dir}/piper/en-us-joe-medium`);
      assert.ok(first.files.every((f) => f.result !== "absent" && !f.result.skipped));
      const size = (await Deno.stat(`${first.dir}/en_US-joe-medium.onnx`)).size;
      assert.equal(size, (await Deno.stat(JOE_ONNX)).size);
      const hitsBefore = [...server.hits.values()].reduce((a, b) => a + b, 0);
      const second = await fetchVoice("piper-en-us-joe-medium", options);
      assert.ok(second.files.every((f) => f.result !== "absent" && f.result.skipped));
      assert.equal([...server.hits.values()].reduce((a, b) => a + b, 0), hitsBefore, "no request the second time");
    });
  } finally {
    await server.close();
  }
});

Deno.test("voices:fetch fails clearly on an unknown voice, a checksum mismatch and a malformed id", async () => {
  await requireJoeVoice();
  const server = joeServer({ "en_US-joe-medium.onnx": { headers: { "x-linked-etag": `"${"ab".repeat(32)}"` } } });
  try {
    await inVoicepacks(async (dir) => {
      const options = { voicepacksDir: dir, urlTemplate: template(server.url), onProgress: null };
      await assert.rejects(
        fetchVoice("piper-en-us-nobody-medium", options),
        /en_US-nobody-medium\.onnx\.json failed: HTTP 404/,
      );
      await assert.rejects(fetchVoice("piper-en-us-joe-medium", options), /checksum mismatch/);
      const left = (await Array.fromAsync(Deno.readDir(`${dir}/piper/en-us-joe-medium`))).map((e) => e.name);
      assert.ok(!left.includes("en_US-joe-medium.onnx"), `no partial model left: ${left}`);
      await assert.rejects(
        fetchVoice("lessac", options),
        /not a Piper model id: use piper-<lang>-<region>-<name>-<quality>/,
      );
    });
  } finally {
    await server.close();
  }
});

Deno.test("deno task voices:fetch fetches a loadable voice with its scoped permissions", async () => {
  await requireJoeVoice();
  const server = joeServer();
  try {
    await inVoicepacks(async (dir) => {
      const [bin, ...args] = taskCommand("voices:fetch");
      const out = await new Deno.Command(bin, {
        args: [...args, "piper-en-us-joe-medium"],
        cwd: resolveRepoPath(""),
        env: { VOICEPACKS_DIR: dir, PIPER_VOICE_URL_TEMPLATE: template(server.url), NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, log);
      assert.match(log, /piper-en-us-joe-medium → .*en_US-joe-medium\.onnx 63201294 bytes/);
      const adapter = new PiperAdapter({ voicepacksDir: dir, device: "cpu", intraOpThreads: 1 });
      const model = await adapter.load("piper-en-us-joe-medium");
      await model.dispose();
    });
  } finally {
    await server.close();
  }
});
