/**
 * Counting test results for the plain `N passed, N failed` line: from Deno's JUnit reports (steps excluded) and, when
 * a test process died before writing its report, from its console output.
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
