/**
 * The CosyVoice worker end to end: `deno task run-tts-cosyvoice` as a real process with the random-tiny pack
 * registers in a real Redis, lists only CosyVoice models and streams 20 ms frames over gRPC; without any pack it
 * serves the mock with the "voicepack not found" warning; `COSYVOICE_DEVICE=cuda` on a machine without the CUDA
 * provider falls back to the CPU with a warning naming the library (and exits non-zero under STRICT_CONFIG).
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisServer } from "../../../harness/redis_server.ts";
import { FRAME_BYTES, WIRE_SAMPLE_RATE } from "../../../shared/audio/format.ts";
import { parseWorkerRecord, registryKeys } from "../../../shared/registry/worker_record.ts";
import { chunk, collect, TestClient, waitFor, withWorkerTask } from "../runtime/worker_harness.ts";
import { WorkerProcess } from "../../../harness/task_process.ts";
import { repoPath } from "../../../scripts/setup/paths.ts";
import { MODEL_ID, PACK_DIR, requirePack } from "./fixtures.ts";

const STARTUP_MS = 120_000;

function withWorker(
  env: Record<string, string>,
  body: (worker: WorkerProcess, client: TestClient) => Promise<void>,
): Promise<void> {
  return withWorkerTask("run-tts-cosyvoice", env, STARTUP_MS, body);
}

Deno.test("run-tts-cosyvoice with the random-tiny pack registers in Redis, lists no mock and streams frames", async () => {
  await requirePack();
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url, { lazyConnect: true });
  try {
    await withVoicepacks(true, (dir) =>
      withWorker({
        REDIS_URL: redis.url,
        VOICEPACKS_DIR: dir,
        DEFAULT_MODEL: MODEL_ID,
        WORKER_NAME: "cosyvoice-e2e",
        PRELOAD_MODEL_IDS: MODEL_ID,
      }, async (_worker, client) => {
        await reader.connect();
        const key = registryKeys().worker("cosyvoice-e2e");
        await waitFor(async () => (await reader.get(key)) !== null, "the registry record", 20_000);
        const parsed = parseWorkerRecord((await reader.get(key))!);
        assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
        assert.equal(parsed.record.adapter, "cosyvoice2");
        const models = (await client.listModels()).models.map((m) => m.modelId);
        assert.ok(models.includes(MODEL_ID), models.join(", "));
        assert.ok(models.every((id) => id.startsWith("cosyvoice2-")), `no mock: ${models.join(", ")}`);

        await client.startSession("e2e", MODEL_ID);
        const call = client.openStream();
        const result = collect(call, () => {});
        call.write(chunk("e2e", "Hello there. How can I help you today?"));
        call.end();
        const { frames, error } = await result;
        assert.equal(error, null);
        assert.equal(frames.filter((f) => f.isFinal).length, 1);
        assert.ok(frames.length > 10, `${frames.length} frames`);
        assert.ok(
          frames.slice(0, -1).every((f) => f.audio.length === FRAME_BYTES && f.sampleRate === WIRE_SAMPLE_RATE),
        );
      }));
  } finally {
    reader.disconnect();
    await redis.stop();
  }
});

/** A throwaway VOICEPACKS_DIR inside `voicepacks/` (the task may only read there), removed afterwards. */
async function withVoicepacks(linkPack: boolean, body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ dir: repoPath("voicepacks"), prefix: ".test-" });
  try {
    if (linkPack) {
      await Deno.mkdir(`${dir}/cosyvoice`, { recursive: true });
      await Deno.symlink(
        await Deno.realPath(PACK_DIR),
        `${dir}/cosyvoice/random-tiny`,
      );
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("run-tts-cosyvoice without a voicepack warns and serves the mock adapter instead of a silent agent", async () => {
  await withVoicepacks(false, async (dir) => {
    await withWorker({ VOICEPACKS_DIR: dir, DEFAULT_MODEL: "cosyvoice2-en-base" }, async (worker, client) => {
      const caps = await client.capabilities();
      assert.equal(caps.adapter, "mock");
      assert.match(worker.output, /voicepack not found for cosyvoice2-en-base/);
      await client.startSession("m");
      const { frames, error } = await client.synthesize("m", ["Still answering."]);
      assert.equal(error, null);
      assert.ok(frames.length > 10);
    });
  });
});

Deno.test("COSYVOICE_DEVICE=cuda without a usable CUDA provider: CPU with a warning naming the library, or exit 1 under STRICT_CONFIG", async () => {
  await requirePack();
  await withVoicepacks(true, async (dir) => {
    const env = { VOICEPACKS_DIR: dir, DEFAULT_MODEL: MODEL_ID, PRELOAD_MODEL_IDS: MODEL_ID, COSYVOICE_DEVICE: "cuda" };
    await withWorker(env, async (worker, client) => {
      await waitFor(async () => (await client.capabilities()).residentModels?.length > 0, "preload", 60_000)
        .catch(() => {});
      assert.match(worker.output, /running on the CPU: CUDA execution provider failed to load .*\.so/);
    });
    const strict = WorkerProcess.start("run-tts-cosyvoice", {
      REDIS_URL: "redis://127.0.0.1:1",
      ...env,
      STRICT_CONFIG: "true",
    });
    const status = await strict.close(false);
    assert.notEqual(status.code, 0, strict.output);
    assert.match(strict.output, /CUDA execution provider failed to load .*\.so/);
  });
});
