import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisServer } from "../../../harness/redis_server.ts";
import { parseWorkerRecord, registryKeys } from "../../../shared/registry/worker_record.ts";
import { startTestWorker, TestClient } from "./worker_harness.ts";

/** The value of one series in exposition text (`name{labels} value`), or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("a worker serves its metrics on WORKER_METRICS_PORT, advertises the address in the registry, and they move with the work", async () => {
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url);
  const worker = await startTestWorker({
    name: "metrics-test",
    maxSessions: 5,
    metrics: { host: "127.0.0.1", port: 0 },
    registry: { redisUrl: redis.url, heartbeatMs: 30_000, ttlMs: 90_000 },
  });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    assert.ok(worker.metricsUrl, "the listener started");
    const parsed = parseWorkerRecord((await reader.get(registryKeys().worker("metrics-test"))) ?? "");
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
    assert.equal(`http://${parsed.record.metricsAddress}`, worker.metricsUrl, "the record carries the bound port");

    const scrape = async () => {
      const response = await fetch(`${worker.metricsUrl}/metrics`);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      return await response.text();
    };
    let text = await scrape();
    assert.equal(value(text, "voicechat_tts_active_sessions"), 0);
    assert.equal(value(text, "voicechat_tts_max_sessions"), 5);
    assert.equal(value(text, "voicechat_tts_queue_depth"), 0);
    assert.equal(value(text, 'voicechat_tts_model_loaded{model="mock-440hz"}'), 1);
    assert.equal(value(text, 'voicechat_tts_model_load_seconds_count{model="mock-440hz"}'), 1);
    assert.ok(value(text, "process_resident_memory_bytes")! > 10 * 1024 * 1024);
    assert.ok(value(text, "process_heap_used_bytes")! > 0);
    assert.doesNotMatch(text, /voicechat_gpu_/, "a CPU worker runs no nvidia-smi");

    await client.startSession("m1");
    const result = await client.synthesize("m1", ["Hello there. ", "How are you today?"]);
    assert.equal(result.error, null);
    text = await scrape();
    assert.equal(value(text, "voicechat_tts_active_sessions"), 1);
    assert.equal(value(text, 'voicechat_tts_first_frame_seconds_count{model="mock-440hz"}'), 1);
    const firstFrame = value(text, 'voicechat_tts_first_frame_seconds_sum{model="mock-440hz"}')!;
    assert.ok(firstFrame > 0 && firstFrame < 5, `first frame ${firstFrame} s`);
    assert.equal(value(text, 'voicechat_tts_streams_total{model="mock-440hz",outcome="ok"}'), 1);
    const audio = value(text, 'voicechat_tts_audio_seconds_total{model="mock-440hz"}')!;
    const frames = result.frames.reduce((n, f) => n + f.audio.length, 0) / 2 / 48_000;
    assert.ok(Math.abs(audio - frames) < 1e-9, `audio ${audio} s = ${frames} s of frames`);
    assert.ok(value(text, 'voicechat_tts_real_time_factor{model="mock-440hz"}')! > 0);
    assert.equal((await fetch(`${worker.metricsUrl}/nope`)).status, 404);
    await client.endSession("m1");
  } finally {
    client.close();
    await worker.shutdown("test over");
    reader.disconnect();
    await redis.dispose();
  }
  await assert.rejects(fetch(`${worker.metricsUrl}/metrics`), "the listener closes with the worker");
});

Deno.test("a worker whose metrics port is taken does not start, and says which address", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      startTestWorker({ name: "metrics-clash", metrics: { host: "127.0.0.1", port: blocker.addr.port } }),
      new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${blocker.addr.port}`),
    );
  } finally {
    blocker.close();
  }
});
