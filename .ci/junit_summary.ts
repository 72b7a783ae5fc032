/**
 * Prints `N passed, N failed` for a `deno test --junit-path` report. Test steps (testcases named `<parent> > <step>`
 * where `<parent>` is another testcase of the same file) do not count; a testcase with `<failure>` or `<error>` is
 * failed, one with `<skipped/>` (ignored) is neither. Without a report (a run stopped by the CI watchdog) it counts
 * the console output instead, with the test that never finished as failed; with neither it reports one failure,
 * because the test run itself broke. Exits 1 when anything failed.
 *
 * Usage: `deno run --allow-read .ci/junit_summary.ts .cache/junit.xml [.cache/test-output.log]`
 *
 * @module
 */

/** Counts of one JUnit report. */
export interface JunitCounts {
  /** Top-level tests that passed. */
  passed: number;
  /** Top-level tests with a failure or an error. */
  failed: number;
  /** Ignored tests. */
  skipped: number;
}

function unescapeXml(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}

/** Counts top-level tests in a Deno JUnit report (steps excluded). */
export function countJunit(xml: string): JunitCounts {
  const counts: JunitCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const suite of xml.matchAll(/<testsuite\b[^>]*>([\s\S]*?)<\/testsuite>/g)) {
    const cases = [...suite[1].matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
      name: unescapeXml(/\bname="([^"]*)"/.exec(m[1])?.[1] ?? ""),
      body: m[3] ?? "",
    }));
    const names = new Set(cases.map((c) => c.name));
    for (const c of cases) {
      const parts = c.name.split(" > ");
      const isStep = parts.slice(1).some((_, i) => names.has(parts.slice(0, i + 1).join(" > ")));
      if (isStep) continue;
      if (/<(failure|error)\b/.test(c.body)) counts.failed++;
      else if (/<skipped\b/.test(c.body)) counts.skipped++;
      else counts.passed++;
    }
  }
  return counts;
}

/**
 * Counts top-level results in `deno test`'s console output (NO_COLOR): lines `<name> ... ok|FAILED|ignored` at the
 * start of a line (steps are indented). A test that was still running when the output ends counts as failed.
 */
export function countConsole(text: string): JunitCounts & { unfinished: string | null } {
  const counts = { passed: 0, failed: 0, skipped: 0, unfinished: null as string | null };
  let pending: string | null = null;
  for (const line of text.split("\n")) {
    const result = /^(\S.*?) \.\.\. (ok|FAILED|ignored)\b/.exec(line);
    if (result) {
      pending = null;
      if (result[2] === "ok") counts.passed++;
      else if (result[2] === "FAILED") counts.failed++;
      else counts.skipped++;
      continue;
    }
    const started = /^(\S.*?) \.\.\.(?:$|'|\s*$)/.exec(line);
    if (started && !line.startsWith("running ")) pending = started[1];
  }
  if (pending) {
    counts.failed++;
    counts.unfinished = pending;
  }
  return counts;
}

if (import.meta.main) {
  const [path = ".cache/junit.xml", consolePath] = Deno.args;
  let counts: JunitCounts;
  try {
    counts = countJunit(await Deno.readTextFile(path));
  } catch {
    const consoleText = consolePath ? await Deno.readTextFile(consolePath).catch(() => null) : null;
    if (consoleText === null) {
      console.log(`no test report at ${path} and no console log: the test run broke before any test ran`);
      counts = { passed: 0, failed: 1, skipped: 0 };
    } else {
      const fromConsole = countConsole(consoleText);
      console.log(`no test report at ${path}: counted from the console output of the stopped run`);
      if (fromConsole.unfinished) console.log(`never finished (counted as failed): ${fromConsole.unfinished}`);
      counts = fromConsole.passed + fromConsole.failed + fromConsole.skipped > 0
        ? fromConsole
        : { passed: 0, failed: 1, skipped: 0 };
    }
  }
  if (counts.skipped) console.log(`${counts.skipped} ignored`);
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  if (counts.failed > 0) Deno.exit(1);
}
