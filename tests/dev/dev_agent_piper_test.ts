/**
 * The real thing, as a developer runs it: `deno task dev-agent-piper` brings up Redis, LiveKit, Caddy, the Piper
 * worker (real voice) and the orchestrator (real VAD and Whisper), a client turn gets an answer, and one Ctrl+C stops
 * everything within 5 s with no process left behind. Ports are free ones, so a developer's own stack is not disturbed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { findLivekitServer } from "../../scripts/setup/livekit.ts";
import { freePort, freePortRun } from "../../harness/ports.ts";
import { speak } from "../../harness/speech.ts";
import { descendants, REPO, RunnerProcess, survivors } from "./runner_harness.ts";

const READY = /^dev\s+\| ready in /;

Deno.test({
  name: "deno task dev-agent-piper reaches ready, answers a client turn and stops on one Ctrl+C within 5 s",
  sanitizeResources: false, // the runner's pipes close when it exits, after the last assertion
  async fn() {
    assert.ok(await findLivekitServer(), "livekit-server is missing: run `deno task setup`");
    const dir = await Deno.makeTempDir({ prefix: "dev-agent-piper-test-" });
    const ports = {
      redis: freePort(),
      livekit: await freePortRun(),
      ws: freePort(),
      health: freePort(),
      worker: freePort(),
      web: freePort(),
      lk: freePort(),
    };
    const speech = await speak({ text: "Hello, can you hear me?", voice: "flite-rms", tailMs: 300 });
    // `deno task` in its own session: SIGINT to that group is exactly what a terminal's Ctrl+C does.
    const stack = new RunnerProcess(["task", "dev-agent-piper"], {
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      LIVEKIT_URL: `ws://127.0.0.1:${ports.livekit}`,
      ORCHESTRATOR_WS_PORT: String(ports.ws),
      ORCHESTRATOR_HEALTH_PORT: String(ports.health),
      WORKER_GRPC_PORT: String(ports.worker),
      CADDY_WEB_PORT: String(ports.web),
      CADDY_LIVEKIT_PORT: String(ports.lk),
      XDG_DATA_HOME: `${dir}/data`,
      XDG_CONFIG_HOME: `${dir}/config`,
    }, { newSession: true });
    let tree: number[] = [];
    try {
      const ready = await stack.waitFor(READY, 300_000);
      const runnerLines = stack.runnerLines;
      assert.ok(
        runnerLines.some((l) => /^worker: run-tts-piper with piper-/.test(l)),
        `the Piper worker runs with a real voice (run \`deno task setup\` if it fell back):\n${runnerLines.join("\n")}`,
      );
      assert.deepEqual(runnerLines.filter((l) => l.startsWith("left out")), [], "nothing is left out here");
      assert.match(ready, new RegExp(`web https://localhost:${ports.web}`));
      assert.match(ready, new RegExp(`livekit wss://localhost:${ports.lk}`));
      assert.equal((await fetch(`http://127.0.0.1:${ports.health}/health`)).status, 200);

      const client = await new Deno.Command(Deno.execPath(), {
        args: ["task", "client", speech.wavPath, "--url", `ws://127.0.0.1:${ports.ws}`, "--timeout", "90"],
        cwd: REPO,
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const events = new TextDecoder().decode(client.stdout);
      assert.equal(client.code, 0, `client turn failed:\n${events}\n${new TextDecoder().decode(client.stderr)}`);
      assert.match(events, /"type":"response\.done"/);

      tree = descendants(stack.pid);
      assert.ok(tree.length >= 6, `runner and five services are running: ${tree.length} processes`);
      const stopAt = performance.now();
      stack.signal("SIGINT", { group: true });
      const status = await stack.exit(30_000);
      const stopMs = performance.now() - stopAt;
      assert.equal(status.code, 0, stack.lines.slice(-30).join("\n"));
      assert.ok(stopMs < 5000, `stopped in ${stopMs.toFixed(0)} ms (limit 5000)`);
      console.log(`dev-agent-piper: ${ready.replace(/^dev\s+\| /, "")}; stopped in ${stopMs.toFixed(0)} ms`);
      assert.deepEqual(await survivors(tree, 1000), [], "no process of the stack is left");
      assert.equal(stack.runnerLines.at(-1), "stopped");
    } finally {
      stack.signal("SIGKILL", { group: true });
      for (const pid of tree) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await stack.exit(10_000);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
