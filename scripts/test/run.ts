/**
 * The test runner behind `deno task test`: runs `deno test` once per test folder, one folder after another, each in
 * its own process with its own JUnit report in `.cache/junit/`. Native code under test (onnxruntime, LiveKit's FFI,
 * Deno's HTTP/2 under grpc-js) can crash a process; one process per folder keeps such a crash to that folder's tests,
 * which are then counted from the console output and reported as failed. Ends with the plain `N passed, N failed`.
 *
 * Usage: `deno task test [path …]` (folders or files below `tests/`; default: all of `tests/`).
 *
 * @module
 */
import { countConsole, countJunit, type JunitCounts } from "./counts.ts";

const REPORT_DIR = ".cache/junit";

/** Test files under `root` (a folder or a file), sorted. */
async function testFiles(root: string): Promise<string[]> {
  const info = await Deno.stat(root);
  if (info.isFile) return [root];
  const found: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    const path = `${root.replace(/\/$/, "")}/${entry.name}`;
    if (entry.isDirectory) found.push(...await testFiles(path));
    else if (entry.isFile && /_test\.ts$/.test(entry.name)) found.push(path);
  }
  return found.sort();
}

/** Files grouped by their folder, in folder order. */
function byFolder(files: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const folder = file.slice(0, file.lastIndexOf("/"));
    groups.set(folder, [...groups.get(folder) ?? [], file]);
  }
  return groups;
}

/** Runs one folder's tests, echoing the output; returns its counts. */
async function runGroup(folder: string, files: string[]): Promise<JunitCounts> {
  const report = `${REPORT_DIR}/${folder.replaceAll("/", "__")}.xml`;
  await Deno.remove(report).catch(() => {});
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--no-prompt", "--allow-all", `--junit-path=${report}`, ...files],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let text = "";
  const echo = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      await sink.write(chunk);
      text += new TextDecoder().decode(chunk);
    }
  };
  const [status] = await Promise.all([child.status, echo(child.stdout, Deno.stdout), echo(child.stderr, Deno.stderr)]);
  const xml = await Deno.readTextFile(report).catch(() => null);
  if (xml !== null) return countJunit(xml);
  // No report: the process died (a crash in native code, or a signal) before Deno could write it.
  const counts = countConsole(text);
  if (counts.unfinished === null) counts.failed++;
  console.log(
    `\n${folder}: the test process ended with ${status.signal ?? `exit ${status.code}`} before writing its report; ` +
      `counted from its output (${counts.unfinished ? `"${counts.unfinished}" never finished` : "plus 1 failure"})`,
  );
  return counts;
}

if (import.meta.main) {
  await Deno.mkdir(REPORT_DIR, { recursive: true });
  for await (const entry of Deno.readDir(REPORT_DIR)) await Deno.remove(`${REPORT_DIR}/${entry.name}`);
  const roots = Deno.args.length ? Deno.args : ["tests"];
  const files = (await Promise.all(roots.map(testFiles))).flat();
  if (files.length === 0) {
    console.log(`no *_test.ts files under ${roots.join(", ")}`);
    Deno.exit(1);
  }
  const total: JunitCounts = { passed: 0, failed: 0, skipped: 0 };
  const failedFolders: string[] = [];
  for (const [folder, group] of byFolder(files)) {
    console.log(`\n=== ${folder} (${group.length} file${group.length === 1 ? "" : "s"}) ===`);
    const counts = await runGroup(folder, group);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
    if (counts.failed) failedFolders.push(`${folder} (${counts.failed})`);
  }
  console.log("");
  if (failedFolders.length) console.log(`failures in: ${failedFolders.join(", ")}`);
  if (total.skipped) console.log(`${total.skipped} ignored`);
  console.log(`${total.passed} passed, ${total.failed} failed`);
  Deno.exit(total.failed ? 1 : 0);
}
