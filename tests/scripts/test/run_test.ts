import assert from "node:assert/strict";

const RUNNER = new URL("../../../scripts/test/run.ts", import.meta.url).pathname;

/** Runs the test runner in a scratch folder holding `files` (path → source); returns its exit code and output. */
async function runIn(files: Record<string, string>): Promise<{ code: number; output: string; reports: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "test-runner-" });
  try {
    for (const [path, source] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, source);
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", RUNNER],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const reports: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/.cache/junit`)) reports.push(entry.name);
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, output: decode(out.stdout) + decode(out.stderr), reports: reports.sort() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("test runner: one report per folder and one summary line over all folders", async () => {
  const { code, output, reports } = await runIn({
    "tests/a/one_test.ts": `Deno.test("a1", () => {}); Deno.test("a2", () => {});`,
    "tests/b/two_test.ts": `Deno.test("b1", () => { throw new Error("expected"); });`,
  });
  assert.equal(code, 1);
  assert.deepEqual(reports, ["tests__a.xml", "tests__b.xml"]);
  assert.match(output, /^2 passed, 1 failed$/m);
  assert.match(output, /failures in: tests\/b \(1\)/);
});

Deno.test("test runner: a folder whose process dies is counted from its output and the other folders still run", async () => {
  const { code, output } = await runIn({
    "tests/a/dies_test.ts":
      `Deno.test("first", () => {}); Deno.test("dies", () => { Deno.kill(Deno.pid, "SIGKILL"); });`,
    "tests/b/fine_test.ts": `Deno.test("b1", () => {});`,
  });
  assert.equal(code, 1);
  assert.match(output, /tests\/a: the test process ended with SIGKILL before writing its report/);
  assert.match(output, /^2 passed, [12] failed$/m, "first and b1 passed; the dying test failed");
});
