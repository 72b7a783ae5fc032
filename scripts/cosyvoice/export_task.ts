/**
 * `deno task cosyvoice:export [export.py args]` and `deno task cosyvoice:demo-voicepack`: runs
 * `scripts/cosyvoice/export.py` in the export venv that `deno task setup` builds (`.cache/cosyvoice-venv`).
 *
 * @module
 */
const python = new URL("../../.cache/cosyvoice-venv/bin/python", import.meta.url).pathname;
const script = new URL("./export.py", import.meta.url).pathname;
if (!(await Deno.stat(python).catch(() => null))) {
  console.error(`cosyvoice: ${python} is missing; run \`deno task setup\` (it builds the export venv)`);
  Deno.exit(1);
}
const out = Deno.args[Deno.args.indexOf("--out") + 1];
if (Deno.args.includes("--out") && out && (await Deno.lstat(out).catch(() => null))?.isSymlink) {
  // Setup links random-tiny into the machine cache; the demo writes a folder of its own instead of into the cache.
  await Deno.remove(out);
}
const status = await new Deno.Command(python, { args: [script, ...Deno.args], stdout: "inherit", stderr: "inherit" })
  .spawn().status;
Deno.exit(status.code);
