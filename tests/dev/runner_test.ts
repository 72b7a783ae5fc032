import assert from "node:assert/strict";
import { freePort } from "../../harness/ports.ts";
import { killAll, RunnerProcess, survivors } from "./runner_harness.ts";

const READY = /^dev\s+\| ready in /;

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "dev-runner-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function events(text: string): { name: string; what: string; at: number }[] {
  return text.trim().split("\n").filter(Boolean).map((l) => {
    const [name, what, at] = l.split(" ");
    return { name, what, at: Number(at) };
  });
}

Deno.test("runner starts services after their dependencies, prints one ready line and stops all on Ctrl+C", async () => {
  await withTempDir(async (dir) => {
    const [dbPort, apiPort, webPort] = [freePort(), freePort(), freePort()];
    const eventsFile = `${dir}/events.txt`;
    const common = { FAKE_EVENTS_FILE: eventsFile };
    const runner = RunnerProcess.fakeStack([
      { name: "db", port: dbPort, env: { ...common, FAKE_READY_DELAY_MS: "700", FAKE_GRANDCHILD: "1" } },
      { name: "api", port: apiPort, deps: ["db"], env: common },
      { name: "web", port: webPort, deps: ["api"], env: { ...common, FAKE_IGNORE_SIGTERM: "1" }, stopTimeoutMs: 1000 },
    ], ["--log-file", `${dir}/session.log`]);
    try {
      const ready = await runner.waitFor(READY, 60_000);
      assert.match(ready, new RegExp(`web http://127.0.0.1:${webPort}`));
      for (const port of [dbPort, apiPort, webPort]) {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        assert.equal(await response.text(), "ok", `service on ${port} answers once the stack is ready`);
      }
      const pids = runner.reportedPids;
      assert.equal(pids.length, 4, `three services and one grandchild report their pids: ${pids}`);

      runner.signal("SIGINT");
      const status = await runner.exit(30_000);
      assert.equal(status.code, 0, runner.lines.join("\n"));
      assert.deepEqual(await survivors(pids), [], "no service or grandchild outlives the stack");

      const runnerLines = runner.runnerLines;
      assert.equal(runnerLines.filter((l) => l.startsWith("ready")).length, 1, "exactly one ready line");
      assert.ok(runnerLines.includes("web stopped (SIGKILL after timeout)"), runnerLines.join("\n"));
      assert.equal(runnerLines.at(-1), "stopped");

      const seen = events(await Deno.readTextFile(eventsFile));
      const at = (name: string, what: string) => seen.find((e) => e.name === name && e.what === what)?.at ?? NaN;
      assert.ok(at("db", "start") <= at("api", "start") && at("api", "start") <= at("web", "start"), "start order");
      assert.ok(at("api", "sigterm") <= at("db", "sigterm"), "a dependent stops before what it depends on");

      const log = await Deno.readTextFile(`${dir}/session.log`);
      for (const name of ["db", "api", "web", "dev"]) {
        assert.match(
          log,
          new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${name}\\s+\\| `, "m"),
          `timestamped ${name} lines`,
        );
      }
      assert.match(log, /db\s+\| db a line on stderr/, "stderr is captured too");
    } finally {
      killAll(runner.reportedPids);
      runner.signal("SIGKILL");
      await runner.exit(10_000);
    }
  });
});

Deno.test("a service that dies during start stops the stack, shows its last lines and exits non-zero", async () => {
  await withTempDir(async (dir) => {
    const runner = RunnerProcess.fakeStack([
      { name: "db", port: freePort(), env: { FAKE_GRANDCHILD: "1" } },
      {
        name: "api",
        port: freePort(),
        deps: ["db"],
        env: { FAKE_READY_DELAY_MS: "30000", FAKE_EXIT_AFTER_MS: "300", FAKE_EXIT_CODE: "3" },
      },
      { name: "web", port: freePort(), deps: ["api"] },
    ], ["--log-file", `${dir}/session.log`]);
    try {
      const status = await runner.exit(60_000);
      const lines = runner.runnerLines;
      assert.equal(status.code, 1, runner.lines.join("\n"));
      assert.ok(lines.some((l) => l.startsWith("api exited with code 3 during start")), lines.join("\n"));
      assert.ok(lines.some((l) => l.includes("api | api crashing on purpose")), "the dead service's last lines");
      assert.ok(!lines.some((l) => l.startsWith("ready")), "never ready");
      assert.ok(!lines.some((l) => l.startsWith("starting web")), "web never starts without api");
      assert.deepEqual(await survivors(runner.reportedPids), [], "db and its grandchild are stopped too");
    } finally {
      killAll(runner.reportedPids);
    }
  });
});

Deno.test("a service that dies after ready stops the whole stack with a non-zero exit", async () => {
  await withTempDir(async (dir) => {
    const runner = RunnerProcess.fakeStack([
      { name: "db", port: freePort() },
      { name: "api", port: freePort(), deps: ["db"], env: { FAKE_EXIT_AFTER_MS: "3000", FAKE_EXIT_CODE: "7" } },
    ], ["--log-file", `${dir}/session.log`]);
    try {
      await runner.waitFor(READY, 60_000);
      const status = await runner.exit(60_000);
      assert.equal(status.code, 1);
      const lines = runner.runnerLines;
      assert.ok(lines.some((l) => l.startsWith("api exited with code 7;")), lines.join("\n"));
      assert.deepEqual(await survivors(runner.reportedPids), []);
    } finally {
      killAll(runner.reportedPids);
    }
  });
});

Deno.test("a service that never becomes healthy fails the start after its start timeout", async () => {
  await withTempDir(async (dir) => {
    const runner = RunnerProcess.fakeStack([
      { name: "slow", port: freePort(), env: { FAKE_READY_DELAY_MS: "60000" }, startTimeoutMs: 1500 },
    ], ["--log-file", `${dir}/session.log`]);
    try {
      const status = await runner.exit(60_000);
      assert.equal(status.code, 1);
      assert.ok(runner.runnerLines.some((l) => /^slow not healthy after 2 s \(http /.test(l)), runner.lines.join("\n"));
      assert.deepEqual(await survivors(runner.reportedPids), []);
    } finally {
      killAll(runner.reportedPids);
    }
  });
});

Deno.test("a detached stack keeps running after the start command returns, and dev-stop stops it", async () => {
  await withTempDir(async (dir) => {
    const port = freePort();
    const state = `${dir}/stack.json`;
    const env = { DEV_STACK_STATE: state };
    const start = RunnerProcess.fakeStack(
      [{ name: "svc", port, env: { FAKE_GRANDCHILD: "1" } }],
      ["--detach", "--log-file", `${dir}/session.log`],
      env,
    );
    let runnerPid = 0;
    try {
      const status = await start.exit(60_000);
      assert.equal(status.code, 0, start.lines.join("\n"));
      assert.ok(start.lines.some((l) => l.startsWith("ready in ")), start.lines.join("\n"));
      const recorded = JSON.parse(await Deno.readTextFile(state));
      runnerPid = recorded.pid;
      assert.equal(recorded.status, "ready");
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/health`)).text(), "ok", "still serving");

      const again = RunnerProcess.fakeStack([{ name: "svc", port: freePort() }], ["--detach"], env);
      assert.equal((await again.exit(30_000)).code, 1, "a second detached stack is refused");
      assert.ok(again.lines.some((l) => l.includes("deno task dev-stop")), again.lines.join("\n"));

      const log = await Deno.readTextFile(`${dir}/session.log`);
      const pids = [runnerPid, ...[...log.matchAll(/\bpid=(\d+)/g)].map((m) => Number(m[1]))];
      const stop = RunnerProcess.main(["stop"], env);
      assert.equal((await stop.exit(60_000)).code, 0);
      assert.match(stop.lines.join("\n"), /stopped the fake stack/);
      assert.deepEqual(await survivors(pids), [], "runner, service and grandchild are gone");
      await assert.rejects(Deno.stat(state), "the state file is removed");

      const none = RunnerProcess.main(["stop"], env);
      assert.equal((await none.exit(30_000)).code, 0);
      assert.match(none.lines.join("\n"), /no detached dev stack is running/);
    } finally {
      if (runnerPid) killAll([runnerPid]);
    }
  });
});

Deno.test("an unknown stack name is refused with the list of known ones", async () => {
  const runner = RunnerProcess.main(["no-such-stack"]);
  const status = await runner.exit(30_000);
  assert.equal(status.code, 1);
  assert.match(runner.lines.join("\n"), /unknown stack or service "no-such-stack"; known: dev, dev-agent-piper/);
});
