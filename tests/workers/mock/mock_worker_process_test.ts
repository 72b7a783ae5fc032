import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { FRAME_BYTES } from "../../../shared/audio/format.ts";
import { registryKeys } from "../../../shared/registry/worker_record.ts";
import { freePort } from "../../../harness/ports.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { WorkerProcess } from "../../../harness/task_process.ts";
import { chunk, collect, TestClient, waitFor } from "../runtime/worker_harness.ts";

const STARTUP_TIMEOUT_MS = 60_000; // a cold `deno run` on a busy 2-core machine

async function startMockWorker(redis: RedisServer, name: string, heartbeatMs: number, ttlMs: number) {
  const worker = WorkerProcess.start("run-tts-mock", {
    REDIS_URL: redis.url,
    WORKER_NAME: name,
    WORKER_HEARTBEAT_MS: String(heartbeatMs),
    WORKER_TTL_MS: String(ttlMs),
    LOG_FORMAT: "json",
  });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await waitFor(
      () => client.health().then((s) => s === "SERVING", () => false),
      "health SERVING",
      STARTUP_TIMEOUT_MS,
    );
  } catch (error) {
    client.close();
    const status = await worker.close();
    throw new Error(`${error}; worker exit ${status.code}; its output:\n${worker.output}`);
  }
  return { worker, client, servingAt: performance.now() };
}

Deno.test("run-tts-mock registers within one heartbeat, streams frames, and on SIGTERM deregisters and exits 0", async () => {
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url);
  const key = registryKeys().worker("mock-proc-term");
  const { worker, client, servingAt } = await startMockWorker(redis, "mock-proc-term", 2000, 6000);
  try {
    await waitFor(async () => (await reader.exists(key)) === 1, "the registry record", 2000);
    assert.ok(performance.now() - servingAt <= 2000 + 100, "registered within one heartbeat of serving");
    const record = JSON.parse((await reader.get(key))!);
    assert.equal(record.address, `127.0.0.1:${worker.port}`);
    assert.equal(record.defaultModel, "mock-440hz");

    // The "Done when" client check.
    assert.equal(await client.health(), "SERVING");
    await client.startSession("done-when");
    const call = client.openStream();
    let firstFrame = () => {};
    const gotFirst = new Promise<void>((resolve) => firstFrame = resolve);
    const result = collect(call, () => firstFrame());
    call.write(chunk("done-when", "First chunk of text. "));
    await gotFirst; // the first frame exists before the last chunk is even sent, let alone synthesized
    call.write(chunk("", "Second chunk of text. "));
    call.write(chunk("", "Third and last chunk."));
    call.end();
    const { frames, error } = await result;
    assert.equal(error, null);
    assert.deepEqual(frames.map((f) => f.sequenceNumber), frames.map((_, i) => i + 1));
    assert.equal(frames.filter((f) => f.isFinal).length, 1);
    assert.ok(frames.at(-1)!.isFinal);
    assert.ok(frames.slice(0, -1).every((f) => f.audio.length === FRAME_BYTES));
    assert.ok([0, FRAME_BYTES].includes(frames.at(-1)!.audio.length));
    await client.endSession("done-when");

    worker.kill("SIGTERM");
    const status = await worker.close(false);
    assert.equal(status.code, 0, `exit code; output:\n${worker.output}`);
    assert.equal(await reader.exists(key), 0, "deregistered at once");
    assert.match(worker.output, /Deregistered worker mock-proc-term/);
    // The client outlived the worker and gets a clean error (no HTTP/2 GOAWAY crash, see closeServer).
    assert.equal(await client.health().catch(() => "unreachable"), "unreachable");
  } finally {
    client.close();
    await worker.close();
    reader.disconnect();
    await redis.dispose();
  }
});

Deno.test("run-tts-mock killed with SIGKILL drops out of the registry within the TTL", async () => {
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url);
  const key = registryKeys().worker("mock-proc-kill");
  const ttlMs = 1500;
  const { worker, client } = await startMockWorker(redis, "mock-proc-kill", 500, ttlMs);
  try {
    await waitFor(async () => (await reader.exists(key)) === 1, "the registry record", 2000);
    worker.kill("SIGKILL");
    const killedAt = performance.now();
    await worker.close(false);
    await waitFor(async () => (await reader.exists(key)) === 0, "the record to expire", 10_000);
    const goneAfter = performance.now() - killedAt;
    assert.ok(goneAfter <= ttlMs + 250, `record outlived the TTL: gone ${goneAfter.toFixed(0)} ms after the kill`);
  } finally {
    client.close();
    await worker.close();
    reader.disconnect();
    await redis.dispose();
  }
});

Deno.test("`deno task run-tts-mock` killed with SIGKILL takes its worker with it: no orphan stays registered", async () => {
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url);
  const key = registryKeys().worker("mock-task-kill");
  const port = freePort();
  // The real `deno task`, which runs the worker as its child and cannot pass a SIGKILL on.
  const task = new Deno.Command(Deno.execPath(), {
    args: ["task", "run-tts-mock"],
    cwd: new URL("../../../", import.meta.url).pathname,
    env: {
      REDIS_URL: redis.url,
      WORKER_NAME: "mock-task-kill",
      WORKER_GRPC_HOST: "127.0.0.1",
      WORKER_GRPC_PORT: String(port),
      WORKER_HEARTBEAT_MS: "500",
      WORKER_TTL_MS: "1500",
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const client = new TestClient(`127.0.0.1:${port}`);
  try {
    await waitFor(async () => (await reader.exists(key)) === 1, "the registry record", STARTUP_TIMEOUT_MS);
    task.kill("SIGKILL");
    await task.status;
    await waitFor(async () => (await reader.exists(key)) === 0, "the record to go", 10_000);
    await waitFor(() => client.health().then(() => false, () => true), "the orphaned worker to exit", 10_000);
  } finally {
    client.close();
    try {
      task.kill("SIGKILL");
    } catch { /* gone */ }
    await task.status;
    reader.disconnect();
    await redis.dispose();
  }
});
