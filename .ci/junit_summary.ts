/**
 * Prints `N passed, N failed` summed over the JUnit reports that `deno task test` writes, one per test folder, into
 * `.cache/junit/` (steps excluded; see scripts/test/counts.ts). The test runner prints the same line itself; this
 * is for a run stopped by the CI watchdog, where the folder that was running has no report: it then counts as one
 * more failure. With no report at all the run broke before any test ran, which is one failure too.
 * Exits 1 when anything failed.
 *
 * Usage: `deno run --allow-read .ci/junit_summary.ts .cache/junit [--stopped]`
 *
 * @module
 */
import { countJunit, type JunitCounts } from "../scripts/test/counts.ts";

export { countConsole, countJunit } from "../scripts/test/counts.ts";

if (import.meta.main) {
  const [dir = ".cache/junit", flag] = Deno.args;
  const counts: JunitCounts = { passed: 0, failed: 0, skipped: 0 };
  let reports = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.name.endsWith(".xml")) continue;
      const c = countJunit(await Deno.readTextFile(`${dir}/${entry.name}`));
      counts.passed += c.passed;
      counts.failed += c.failed;
      counts.skipped += c.skipped;
      reports++;
    }
  } catch { /* no folder: nothing ran */ }
  if (reports === 0) {
    console.log(`no test report in ${dir}: the test run broke before any test ran`);
    counts.failed++;
  } else if (flag === "--stopped") {
    console.log("the test run was stopped before it finished: the folder that was running counts as one failure");
    counts.failed++;
  }
  if (counts.skipped) console.log(`${counts.skipped} ignored`);
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  if (counts.failed > 0) Deno.exit(1);
}
