import assert from "node:assert/strict";
import { formatProblem, formatProblemReport, redactValue } from "../../../shared/config/mod.ts";

const LOADER_SCRIPT = new URL("../../../shared/config/mod.ts", import.meta.url).href;

/** Runs a tiny service that loads the worker config from `env` (and nothing else), returning exit code and stderr. */
async function runWorkerStartup(
  env: Record<string, string>,
): Promise<{ code: number; stderr: string; stdout: string }> {
  const code = `import { loadWorkerConfigOrExit } from "${LOADER_SCRIPT}";
    const c = loadWorkerConfigOrExit(); console.log(JSON.stringify({ adapter: c.ADAPTER_TYPE, model: c.DEFAULT_MODEL }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-prompt", code],
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stderr: dec.decode(out.stderr), stdout: dec.decode(out.stdout) };
}

Deno.test("a service with bad config prints every problem and exits 1", async () => {
  const { code, stderr } = await runWorkerStartup({
    PATH: Deno.env.get("PATH") ?? "",
    ADAPTER_TYPE: "espeak",
    WORKER_GRPC_PORT: "http",
    REDIS_URL: "redis://:topsecret@",
  });
  assert.equal(code, 1, stderr);
  assert.match(stderr, /worker: configuration has 3 errors/);
  assert.match(stderr, /✖ ADAPTER_TYPE="espeak": must be one of piper \| cosyvoice2 \| mock/);
  assert.match(stderr, /✖ WORKER_GRPC_PORT="http": must be a TCP port/);
  assert.match(stderr, /✖ REDIS_URL=/);
  assert.doesNotMatch(stderr, /topsecret/);
  assert.match(stderr, /→ fix:/);
});

Deno.test("problem lines show unset values and mask secrets and URL passwords", () => {
  const line = formatProblem({
    variable: "LLM_MODEL",
    value: undefined,
    problem: "is required",
    fix: "set it",
    severity: "error",
  });
  assert.equal(line, "✖ LLM_MODEL=(not set): is required\n    → fix: set it");
  assert.equal(redactValue("LIVEKIT_API_SECRET", "abc"), "*** (3 characters, hidden)");
  assert.equal(redactValue("REDIS_URL", "rediss://user:pw@h:6380/1"), "rediss://user:***@h:6380/1");
  assert.equal(redactValue("REDIS_URL", "redis://h:6379"), "redis://h:6379");
  assert.match(formatProblemReport("orchestrator", []), /^orchestrator: configuration has 0 errors/);
});
