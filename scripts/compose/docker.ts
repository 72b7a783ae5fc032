/**
 * The Docker CLI as the compose tasks and tests call it: one place that runs `docker …` with the caller's
 * `DOCKER_HOST`/`DOCKER_CONFIG`, captures or streams its output, and turns a failure into an error that names the
 * command and quotes its output.
 *
 * @module
 */

/** Output of one docker command. */
export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode docker}. */
export interface DockerOptions {
  /** Extra environment (e.g. DOCKER_HOST); the rest of this process's environment is kept. */
  env?: Record<string, string>;
  /** Working directory (compose finds its files and `.env` there). */
  cwd?: string;
  /** Stream output to this process's stdout/stderr instead of capturing it. */
  stream?: boolean;
  /** Bytes written to the command's stdin (e.g. a tarball for `docker import -`). */
  stdinFile?: string;
  /** Throw when the command exits non-zero (default true). */
  check?: boolean;
}

/** Runs `docker args…`; by default throws with the output when it fails. */
export async function docker(args: string[], options: DockerOptions = {}): Promise<DockerResult> {
  const child = new Deno.Command("docker", {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdinFile ? "piped" : "null",
    stdout: options.stream ? "inherit" : "piped",
    stderr: options.stream ? "inherit" : "piped",
  }).spawn();
  if (options.stdinFile) {
    const file = await Deno.open(options.stdinFile);
    await file.readable.pipeTo(child.stdin);
  }
  const out = await child.output();
  const result = {
    code: out.code,
    stdout: options.stream ? "" : new TextDecoder().decode(out.stdout),
    stderr: options.stream ? "" : new TextDecoder().decode(out.stderr),
  };
  if (result.code !== 0 && options.check !== false) {
    const said = (result.stderr || result.stdout).trim().split("\n").slice(-30).join("\n");
    throw new Error(`docker ${args.join(" ")} failed (exit ${result.code})${said ? `:\n${said}` : ""}`);
  }
  return result;
}

/** The labels of a local image, or null when there is no image with that reference. */
export async function imageLabels(ref: string, env?: Record<string, string>): Promise<Record<string, string> | null> {
  const result = await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", ref], { env, check: false });
  if (result.code !== 0) return null;
  return JSON.parse(result.stdout.trim() || "null") ?? {};
}

/** The size in bytes of a local image. */
export async function imageSize(ref: string, env?: Record<string, string>): Promise<number> {
  const result = await docker(["image", "inspect", "--format", "{{.Size}}", ref], { env });
  return Number(result.stdout.trim());
}
