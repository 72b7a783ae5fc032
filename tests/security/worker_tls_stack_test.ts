/**
 * The whole stack with mutual TLS on the worker link, as an operator runs it: `deno task certs:dev`'s certificates,
 * `deno task run-tts-mock` with `WORKER_TLS_*` registered in Redis, `deno task run-orch` with
 * `ORCHESTRATOR_WORKER_TLS_*` and `WORKER_RPC_SECRET` (both processes read the files under their scoped permissions),
 * and `deno task client --text` gets the spoken answer.
 */
import assert from "node:assert/strict";
import { makeDevCerts } from "../../scripts/certs/dev_certs.ts";
import { RedisServer } from "../../harness/redis_server.ts";
import { resolveRepoPath } from "../../harness/sox.ts";
import { OrchestratorProcess, taskCommand, WorkerProcess } from "../../harness/task_process.ts";
import { until } from "../../harness/ws_stack.ts";

const KEY = "tls-stack-test-key";
const SECRET = "tls-stack-secret-0123456789abcdef0123456789";

Deno.test("stack: run-orch reaches a mutual-TLS mock worker found through Redis, and a text turn is spoken", async () => {
  await Deno.mkdir(".cache/certs", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".cache/certs", prefix: "stack-" });
  const certs = await makeDevCerts({ dir });
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-mock", {
    REDIS_URL: redis.url,
    WORKER_NAME: "mtls-mock",
    WORKER_HEARTBEAT_MS: "200",
    WORKER_RPC_SECRET: SECRET,
    WORKER_TLS_CERT: certs.workerCert,
    WORKER_TLS_KEY: certs.workerKey,
    WORKER_TLS_CA: certs.caCert,
  });
  const orchestrator = OrchestratorProcess.start({
    REDIS_URL: redis.url,
    ORCHESTRATOR_API_KEYS: KEY,
    WORKER_RPC_SECRET: SECRET,
    ORCHESTRATOR_WORKER_TLS_CA: certs.caCert,
    ORCHESTRATOR_WORKER_TLS_CERT: certs.clientCert,
    ORCHESTRATOR_WORKER_TLS_KEY: certs.clientKey,
    DEFAULT_MODEL: "",
  });
  try {
    await until(() => /serving mock on/.test(worker.output), "the worker", 60_000);
    await orchestrator.ready(90_000);
    const [clientBin, ...clientArgs] = taskCommand("client");
    const client = await new Deno.Command(clientBin, {
      args: [...clientArgs, "--text", "Hello over mutual TLS.", "--url", orchestrator.url, "--api-key", KEY],
      cwd: resolveRepoPath(""),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(client.stdout);
    assert.equal(client.code, 0, `client failed:\n${new TextDecoder().decode(client.stderr)}\n${stdout}`);
    const events = stdout.trim().split("\n").map((line) => JSON.parse(line));
    const done = events.find((e) => e.type === "response.done");
    assert.ok(done && done.audioMs > 200, `response: ${JSON.stringify(done ?? events.at(-1))}`);
    assert.doesNotMatch(orchestrator.output, /not using worker/, "the orchestrator dialled the TLS worker");
  } finally {
    // The worker goes first: no GOAWAY reaches the orchestrator's client (denoland/deno#36788).
    worker.kill("SIGTERM");
    await worker.close(false);
    await orchestrator.close();
    await redis.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
