import assert from "node:assert/strict";
import { WorkerProcess } from "../../../harness/task_process.ts";
import { freePort } from "../../../harness/ports.ts";

Deno.test("LOG_FORMAT=json: a real worker process writes one JSON object per line, from config warnings to shutdown", async () => {
  // No Redis at this address: the worker warns and keeps retrying, which exercises more than the happy path.
  const worker = WorkerProcess.start("run-tts-mock", {
    LOG_FORMAT: "json",
    LOG_LEVEL: "debug",
    REDIS_URL: `redis://127.0.0.1:${freePort()}`,
    WORKER_NAME: "json-log-test",
    // Another family's model: the worker warns that it ignores it.
    DEFAULT_MODEL: "piper-en-us-lessac-medium",
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!/serving mock on/.test(worker.output) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(worker.output, /serving mock on/, worker.output);
    worker.kill("SIGTERM");
    assert.equal((await worker.close(false)).code, 0);
  } finally {
    await worker.close();
  }
  const lines = worker.output.split("\n").filter((l) => l !== "" && !/^(Task|Warning) /.test(l));
  const records = lines.map((line) => {
    const value = JSON.parse(line);
    assert.equal(typeof value, "object", line);
    for (const key of ["@timestamp", "level", "logger", "message"]) assert.ok(key in value, `${key} missing: ${line}`);
    return value;
  });
  assert.ok(records.some((r) => r.level === "warning" && /DEFAULT_MODEL/.test(r.message)), "the DEFAULT_MODEL warning");
  assert.ok(records.some((r) => r.service === "worker" && r.worker === "json-log-test" && /stopped/.test(r.message)));
  assert.ok(records.length >= 5, `${records.length} lines`);
});
