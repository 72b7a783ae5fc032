/**
 * Small process helpers for test audio: run a command-line tool, and move samples in and out of WAV files with sox
 * (sox's own resampler converts rates here, which keeps test fixtures independent of the project's resampler).
 *
 * @module
 */

const REPO_ROOT = new URL("../", import.meta.url).pathname;

/** Absolute path of a file or folder given relative to the repository root. */
export function resolveRepoPath(relative: string): string {
  return `${REPO_ROOT}${relative}`;
}

/** Runs a tool to completion and returns its stdout; a missing tool or a failure throws an error saying what to do. */
export async function runTool(cmd: string, args: string[], stdin?: string | Uint8Array): Promise<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${cmd} is not installed — run \`deno task setup\` (it installs the test speech tools)`);
    }
    throw err;
  }
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    const detail = new TextDecoder().decode(out.stderr).trim().slice(-500);
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${detail}`);
  }
  return out.stdout;
}

/** Reads any audio file sox understands as mono float32 at `sampleRate`. */
export async function soxDecode(path: string, sampleRate: number): Promise<Float32Array> {
  const raw = await runTool("sox", [
    "-V1",
    path,
    ...["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", String(sampleRate), "-"],
  ]);
  return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4).slice();
}

/** Writes mono float32 samples as a 16-bit WAV file (no dither: digital silence stays exactly zero). */
export async function soxEncode(samples: Float32Array, sampleRate: number, path: string): Promise<void> {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  await runTool("sox", [
    "-V1",
    "-D",
    ...["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", String(sampleRate), "-"],
    ...["-t", "wav", "-e", "signed-integer", "-b", "16", path],
  ], bytes);
}
