/**
 * The acceptance run, as a person does it: `deno task run-orch` and a Piper worker as real processes,
 * `deno task client user.wav --out agent.wav` prints the transcript and writes the spoken echo; SIGTERM then stops
 * the orchestrator cleanly.
 */
import assert from "node:assert/strict";
import { readWavFile } from "../../../shared/audio/wav.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { resolveRepoPath } from "../../../harness/sox.ts";
import { speak } from "../../../harness/speech.ts";
import { wordErrorRate } from "../../../harness/wer.ts";
import { OrchestratorProcess, taskCommand, WorkerProcess } from "../../../harness/task_process.ts";
import { JOE, requireFixtures, until } from "../../../harness/ws_stack.ts";

const KEY = "cli-test-key";

Deno.test("cli: `deno task client` against `deno task run-orch` and a Piper worker yields the transcript and the spoken echo", async () => {
  await requireFixtures();
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-piper", { REDIS_URL: redis.url, DEFAULT_MODEL: JOE });
  const orchestrator = OrchestratorProcess.start({
    REDIS_URL: redis.url,
    ORCHESTRATOR_API_KEYS: KEY,
    TTS_WORKER_ADDRESS: `127.0.0.1:${worker.port}`,
    DEFAULT_MODEL: JOE,
  });
  const outDir = await Deno.makeTempDir({ prefix: "cli-client-" });
  try {
    await until(() => /serving piper on/.test(worker.output), "the worker", 90_000);
    await orchestrator.ready(90_000);
    const text = "Can you hear me clearly?";
    const speech = await speak({ text, voice: "piper-joe", leadMs: 300, tailMs: 200, sampleRate: 16_000 });
    const out = `${outDir}/agent.wav`;
    const [clientBin, ...clientArgs] = taskCommand("client");
    const client = await new Deno.Command(clientBin, {
      args: [...clientArgs, speech.wavPath, "--url", orchestrator.url, "--api-key", KEY, "--out", out],
      cwd: resolveRepoPath(""),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(client.stdout);
    const stderr = new TextDecoder().decode(client.stderr);
    assert.equal(client.code, 0, `client failed:\n${stderr}\n${stdout}`);
    const events = stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(events[0].type, "session.started");
    const final = events.find((e) => e.type === "transcript.final");
    assert.ok(final && wordErrorRate(text, final.text) <= 0.25, `transcript: ${JSON.stringify(final)}`);
    const done = events.find((e) => e.type === "response.done");
    assert.equal(done.text, final.text);
    const wav = await readWavFile(out);
    assert.equal(wav.sampleRate, 48_000);
    assert.ok(Math.abs(wav.samples.length / 48 - done.audioMs) < 1, `${wav.samples.length / 48} ms vs ${done.audioMs}`);
    assert.ok(Math.max(...wav.samples.map(Math.abs)) > 0.05, "the echo is audible");

    orchestrator.kill("SIGTERM");
    const status = await orchestrator.close(false);
    assert.equal(status.code, 0, `orchestrator exit after SIGTERM:\n${orchestrator.output.slice(-1500)}`);
    assert.match(orchestrator.output, /SIGTERM: shutting down/);
  } finally {
    await orchestrator.close();
    await worker.close();
    await redis.dispose();
    await Deno.remove(outDir, { recursive: true });
  }
});
