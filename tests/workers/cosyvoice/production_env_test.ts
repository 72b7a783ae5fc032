/**
 * The seed's production `.env` (`ADAPTER_TYPE=cosyvoice2`, `DEFAULT_MODEL=cosyvoice2-en-base`) on a machine with no
 * voicepack, as real processes: `deno task run-tts-cosyvoice` falls back to the mock and says so in its registry
 * record, `deno task run-orch` routes the session to it, and `deno task client` gets audio and a `warning` event
 * naming what was asked, what is served and why. Under `STRICT_CONFIG=true` the worker refuses to start instead.
 */
import assert from "node:assert/strict";
import { readWavFile } from "../../../shared/audio/wav.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { OrchestratorProcess, taskCommand, WorkerProcess } from "../../../harness/task_process.ts";
import { requireFixtures, until } from "../../../harness/ws_stack.ts";
import { repoPath } from "../../../scripts/setup/paths.ts";

const KEY = "production-env-test-key";
const PRODUCTION = { ADAPTER_TYPE: "cosyvoice2", DEFAULT_MODEL: "cosyvoice2-en-base" };

Deno.test("production .env without a voicepack: the client hears the mock and gets a tts_model_fallback warning", async () => {
  await requireFixtures();
  const voicepacks = await Deno.makeTempDir({ dir: repoPath("voicepacks"), prefix: ".test-" });
  const outDir = await Deno.makeTempDir({ prefix: "production-env-" });
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-cosyvoice", {
    ...PRODUCTION,
    REDIS_URL: redis.url,
    VOICEPACKS_DIR: voicepacks,
    WORKER_NAME: "cosyvoice-no-pack",
    WORKER_HEARTBEAT_MS: "200",
  });
  const orchestrator = OrchestratorProcess.start({
    ...PRODUCTION,
    REDIS_URL: redis.url,
    ORCHESTRATOR_API_KEYS: KEY,
    // Unreachable on purpose: the session must be routed through the worker's registry record.
    TTS_WORKER_ADDRESS: "127.0.0.1:1",
  });
  try {
    await until(() => /serving mock on/.test(worker.output), "the worker", 120_000);
    await orchestrator.ready(120_000);
    const out = `${outDir}/agent.wav`;
    const [bin, ...args] = taskCommand("client");
    let stdout = "";
    let stderr = "";
    let code = 1;
    // The orchestrator may be ready a heartbeat before it has read the worker's record: retry briefly.
    for (let attempt = 0; attempt < 10 && code !== 0; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 500));
      const run = await new Deno.Command(bin, {
        args: [...args, "--text", "Are you there?", "--url", orchestrator.url, "--api-key", KEY, "--out", out],
        cwd: repoPath(""),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      [code, stdout, stderr] = [run.code, new TextDecoder().decode(run.stdout), new TextDecoder().decode(run.stderr)];
    }
    assert.equal(code, 0, `client failed:\n${stderr}\n${stdout}\n${orchestrator.output.slice(-2000)}`);
    const events = stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(events[0].type, "session.started");
    assert.equal(events[0].model, "mock-440hz", "session.started names the model really served");
    const warning = events.find((e) => e.type === "warning");
    assert.ok(warning, `no warning event in ${stdout}`);
    assert.equal(warning.code, "tts_model_fallback");
    assert.equal(warning.requested, "cosyvoice2-en-base");
    assert.equal(warning.served, "mock-440hz");
    assert.match(warning.reason, /voicepack not found for cosyvoice2-en-base/);
    assert.match(warning.reason, /voicepacks\/cosyvoice\/en-base/, "the reason says where the pack belongs");
    const done = events.find((e) => e.type === "response.done");
    assert.ok(done.frames > 10, `${done.frames} frames`);
    const wav = await readWavFile(out);
    assert.ok(Math.max(...wav.samples.map(Math.abs)) > 0.05, "the mock is audible");
    assert.match(orchestrator.output, /cosyvoice2-en-base is not served; cosyvoice-no-pack serves mock-440hz/);

    const strict = WorkerProcess.start("run-tts-cosyvoice", {
      ...PRODUCTION,
      REDIS_URL: redis.url,
      VOICEPACKS_DIR: voicepacks,
      WORKER_NAME: "cosyvoice-strict",
      STRICT_CONFIG: "true",
    });
    const status = await strict.close(false);
    assert.equal(status.code, 1, strict.output);
    assert.match(strict.output, /voicepack not found for cosyvoice2-en-base.*STRICT_CONFIG=true forbids the fallback/s);
  } finally {
    await orchestrator.close();
    await worker.close();
    await redis.dispose();
    await Deno.remove(outDir, { recursive: true });
    await Deno.remove(voicepacks, { recursive: true });
  }
});
