/**
 * The Piper worker end to end: `deno task run-tts-piper` as a real process with the joe voice registers in a real
 * Redis and answers a gRPC Synthesize with intelligible speech whose first frame arrives before the whole text is
 * synthesized; with its voice missing it falls back (first installed Piper voice, else the mock), never crashing.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisServer } from "../../../harness/redis_server.ts";
import { soxEncode } from "../../../harness/sox.ts";
import { wordErrorRate } from "../../../harness/wer.ts";
import type { AudioFrame } from "../../../proto/gen/tts.ts";
import { FRAME_BYTES, WIRE_SAMPLE_RATE } from "../../../shared/audio/format.ts";
import { parseWorkerRecord, registryKeys } from "../../../shared/registry/worker_record.ts";
import { chunk, collect, TestClient, waitFor, withWorkerTask } from "../runtime/worker_harness.ts";
import type { WorkerProcess } from "../../../harness/task_process.ts";
import { JOE_MODEL_ID, jsonLines, requireJoeVoice, runPython, VOICEPACKS_DIR } from "./piper_fixtures.ts";

const TEXT = "Hello there. How can I help you today?";
const STARTUP_MS = 60_000;

function withWorker(
  env: Record<string, string>,
  body: (worker: WorkerProcess, client: TestClient) => Promise<void>,
): Promise<void> {
  return withWorkerTask("run-tts-piper", env, STARTUP_MS, body);
}

function pcmOf(frames: AudioFrame[]): Float32Array {
  const out = new Float32Array(frames.reduce((n, f) => n + f.audio.length / 2, 0));
  let i = 0;
  for (const f of frames) {
    const view = new DataView(f.audio.buffer, f.audio.byteOffset, f.audio.byteLength);
    for (let b = 0; b < f.audio.byteLength; b += 2) out[i++] = view.getInt16(b, true) / 32768;
  }
  return out;
}

Deno.test("run-tts-piper registers in Redis and streams intelligible speech, first frame before the text is done", async () => {
  await requireJoeVoice();
  const redis = await RedisServer.start();
  const reader = new Redis(redis.url, { lazyConnect: true });
  try {
    await withWorker(
      { REDIS_URL: redis.url, DEFAULT_MODEL: JOE_MODEL_ID, WORKER_NAME: "piper-e2e" },
      async (_w, client) => {
        await reader.connect();
        const key = registryKeys().worker("piper-e2e");
        await waitFor(async () => (await reader.get(key)) !== null, "the registry record", 10_000);
        const parsed = parseWorkerRecord((await reader.get(key))!);
        assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
        assert.equal(parsed.record.adapter, "piper");
        assert.ok(parsed.record.residentModels.includes(JOE_MODEL_ID));

        await client.startSession("e2e", JOE_MODEL_ID);
        const call = client.openStream();
        const sent = performance.now();
        const arrivals: number[] = [];
        const result = collect(call, () => arrivals.push(performance.now() - sent));
        call.write(chunk("e2e", TEXT));
        call.end();
        const { frames, error } = await result;
        assert.equal(error, null);
        assert.equal(frames.filter((f) => f.isFinal).length, 1, "exactly one is_final");
        assert.ok(frames.at(-1)!.isFinal);
        assert.ok(
          frames.slice(0, -1).every((f) => f.audio.length === FRAME_BYTES && f.sampleRate === WIRE_SAMPLE_RATE),
        );
        const first = frames[0];
        const firstSentenceEnd = TEXT.indexOf("How");
        assert.ok(first.textEnd <= firstSentenceEnd, `first frame speaks [${first.textStart}, ${first.textEnd})`);
        const laterFrom = frames.findIndex((f) => f.textStart >= firstSentenceEnd);
        assert.ok(laterFrom > 0, "the second sentence has its own frames");
        assert.ok(
          arrivals[0] < arrivals[laterFrom],
          "the first frame arrived before the second sentence's audio existed",
        );
        console.log(
          `first frame after ${arrivals[0].toFixed(0)} ms, second sentence after ${
            arrivals[laterFrom].toFixed(0)
          } ms, ` +
            `${frames.length} frames (${((frames.length * 20) / 1000).toFixed(2)} s)`,
        );

        const dir = await Deno.makeTempDir({ prefix: "piper-e2e-" });
        try {
          await soxEncode(pcmOf(frames), WIRE_SAMPLE_RATE, `${dir}/e2e.wav`);
          const [heard] = jsonLines<{ text: string }>(
            await runPython("tests/workers/piper/transcribe.py", [`${dir}/e2e.wav`]),
          );
          assert.ok(wordErrorRate(TEXT, heard.text) <= 0.15, `heard ${JSON.stringify(heard.text)}`);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    );
  } finally {
    reader.disconnect();
    await redis.stop();
  }
});

/** A throwaway VOICEPACKS_DIR inside `voicepacks/` (the task may only read there), removed afterwards. */
async function withVoicepacks(linkJoe: boolean, body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ dir: VOICEPACKS_DIR, prefix: ".test-" });
  try {
    if (linkJoe) {
      await Deno.mkdir(`${dir}/piper/en-us-joe-medium`, { recursive: true });
      for (const name of ["en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json"]) {
        await Deno.symlink(`${VOICEPACKS_DIR}/piper/en-us-joe-medium/${name}`, `${dir}/piper/en-us-joe-medium/${name}`);
      }
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("run-tts-piper without the default voice warns to run voices:fetch and serves the first installed voice", async () => {
  await requireJoeVoice();
  await withVoicepacks(true, async (dir) => {
    await withWorker({ VOICEPACKS_DIR: dir, DEFAULT_MODEL: "" }, async (worker, client) => {
      const caps = await client.capabilities();
      assert.equal(caps.adapter, "piper");
      assert.equal(caps.defaultModel, JOE_MODEL_ID);
      assert.match(worker.output, /voices:fetch piper-en-us-lessac-medium/);
    });
  });
});

Deno.test("run-tts-piper with no Piper voice at all serves the mock adapter instead of crashing", async () => {
  await withVoicepacks(false, async (dir) => {
    await withWorker({ VOICEPACKS_DIR: dir }, async (worker, client) => {
      const caps = await client.capabilities();
      assert.equal(caps.adapter, "mock");
      assert.match(worker.output, /voices:fetch/);
      await client.startSession("m");
      const { frames, error } = await client.synthesize("m", ["Still answering."]);
      assert.equal(error, null);
      assert.ok(frames.length > 10);
    });
  });
});
