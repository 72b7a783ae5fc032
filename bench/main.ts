/**
 * `deno task bench`: runs every `bench/*_bench.ts` in its own process, one after another (side-by-side figures
 * inside each bench share one run; benches never run concurrently, so they do not steal each other's cores).
 * Pass names to run a subset: `deno task bench piper asr`.
 *
 * @module
 */
const dir = new URL(".", import.meta.url);
const filters = Deno.args;
const files: string[] = [];
for await (const entry of Deno.readDir(dir)) {
  if (entry.isFile && entry.name.endsWith("_bench.ts")) files.push(entry.name);
}
files.sort();
let failed = 0;
for (const name of files) {
  if (filters.length && !filters.some((f) => name.includes(f))) continue;
  console.log(`\n=== ${name} ===`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(name, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) {
    failed++;
    console.log(`bench ${name} failed (exit ${status.code})`);
  }
}
Deno.exit(failed ? 1 : 0);
