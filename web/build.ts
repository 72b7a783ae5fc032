/**
 * Builds the web client into `web/dist/` (`deno task web:build`): bundles `src/main.ts` with livekit-client from npm
 * into `app.js`, the worklet into `audio_worklet.js` (both with `deno bundle`, i.e. esbuild, minified, with source
 * maps), and copies the page, the styles and the icon. `--watch` rebuilds on changes (`deno task web:dev`).
 *
 * @module
 */
const root = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
const dist = `${root}/dist`;
const watch = Deno.args.includes("--watch");

async function bundle(entry: string, output: string): Promise<void> {
  const args = ["bundle", "--quiet", "--platform=browser", "--minify", "--sourcemap=linked", "-o", `${dist}/${output}`];
  if (watch) args.push("--watch");
  const command = new Deno.Command(Deno.execPath(), {
    args: [...args, `${root}/src/${entry}`],
    stdout: "inherit",
    stderr: "inherit",
  });
  const status = watch ? (command.spawn(), { success: true }) : await command.output();
  if (!status.success) throw new Error(`bundling ${entry} failed (see above)`);
}

async function copyStatic(): Promise<void> {
  for (const name of ["index.html", "styles.css", "favicon.svg"]) {
    await Deno.copyFile(`${root}/${name}`, `${dist}/${name}`);
  }
}

await Deno.mkdir(dist, { recursive: true });
const started = performance.now();
// One bundle after the other: on a fresh DENO_DIR (a Docker build) the first `deno bundle` copies the esbuild binary
// into its cache, and two at once race on that copy ("failed to copy esbuild binary … No such file or directory").
const copied = copyStatic();
await bundle("main.ts", "app.js");
await bundle("audio_worklet.ts", "audio_worklet.js");
await copied;
if (!watch) {
  const size = (await Deno.stat(`${dist}/app.js`)).size;
  console.log(
    `web client built in ${Math.round(performance.now() - started)} ms: web/dist/app.js ${
      (size / 1024).toFixed(0)
    } KiB`,
  );
} else {
  console.log("watching web/src for changes (the page and styles are copied once; rerun to copy them again)");
}
