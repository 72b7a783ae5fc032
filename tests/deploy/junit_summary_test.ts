import assert from "node:assert/strict";
import { countConsole, countJunit } from "../../.ci/junit_summary.ts";

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="6" failures="3" errors="0" time="0.009">
    <testsuite name="./a_test.ts" tests="6" disabled="1" errors="0" failures="3">
        <testcase name="a &gt; b literal" classname="./a_test.ts" time="0.000" line="1" col="6">
        </testcase>
        <testcase name="with steps" classname="./a_test.ts" time="0.003" line="2" col="6">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="ign" classname="./a_test.ts" time="0.000" line="3" col="6">
            <skipped/>
        </testcase>
        <testcase name="errs" classname="./a_test.ts" time="0.000" line="4" col="6">
            <error message="boom">boom</error>
        </testcase>
        <testcase name="with steps &gt; inner" classname="./a_test.ts" time="0.000" line="2" col="48">
        </testcase>
        <testcase name="with steps &gt; bad" classname="./a_test.ts" time="0.001" line="2" col="81">
            <failure message="x">x</failure>
        </testcase>
    </testsuite>
    <testsuite name="./b_test.ts" tests="1" disabled="0" errors="0" failures="0">
        <testcase name="ok" classname="./b_test.ts" time="0.000" line="1" col="6"/>
    </testsuite>
</testsuites>`;

Deno.test("junit summary counts top-level tests and leaves steps out", () => {
  assert.deepEqual(countJunit(REPORT), { passed: 2, failed: 2, skipped: 1 });
});

Deno.test("junit summary of a real deno test run matches what the run did", async () => {
  const dir = await Deno.makeTempDir({ prefix: "junit-summary-" });
  try {
    await Deno.writeTextFile(
      `${dir}/sample_test.ts`,
      `Deno.test("passes", () => {});
Deno.test("fails", () => { throw new Error("expected"); });
Deno.test("steps", async (t) => { await t.step("one", () => {}); await t.step("two", () => {}); });
Deno.test({ name: "ignored", ignore: true, fn() {} });
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      // The sample stands alone: the project's deno.json (its test permissions want -P) is not its config.
      args: ["test", "--no-config", "--no-check", `--junit-path=${dir}/report.xml`, `${dir}/sample_test.ts`],
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).output();
    assert.equal(out.code, 1, "the sample has a failing test, so deno test must fail");
    assert.deepEqual(countJunit(await Deno.readTextFile(`${dir}/report.xml`)), { passed: 2, failed: 1, skipped: 1 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("console counting of a stopped run counts top-level results and the hung test as failed", () => {
  const output = `running 2 tests from ./tests/a_test.ts
first ... ok (3ms)
with steps ...
  inner ... FAILED (1ms)
with steps ... FAILED (due to 1 failed step) (2ms)
running 3 tests from ./tests/b_test.ts
skipped one ... ignored (0ms)
hangs ...'hangs' has been running for over (1m0s)
`;
  assert.deepEqual(countConsole(output), { passed: 1, failed: 2, skipped: 1, unfinished: "hangs" });
  assert.deepEqual(countConsole("running 1 test from ./x_test.ts\nok one ... ok (1ms)\n"), {
    passed: 1,
    failed: 0,
    skipped: 0,
    unfinished: null,
  });
});
