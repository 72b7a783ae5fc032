/**
 * Runs the external commands setup needs (apt-get, go, pip, deno) with a time limit, either streaming their output
 * (interactive setup) or capturing it to show only when they fail (quiet `--for-tests` runs).
 *
 * @module
 */

/** Outcome of one external command. */
export interface CommandResult {
  /** Exit code; 124 when the time limit killed it, 127 when the program does not exist. */
  code: number;
  /** Combined stdout and stderr when captured (empty when streamed). */
  output: string;
}

/** Options for {@linkcode runCommand}. */
export interface RunOptions {
  /** Stream output to this process's stdout/stderr instead of capturing it. */
  stream?: boolean;
  /** Kill the command after this many milliseconds (default 30 minutes). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/** Runs `cmd args…`, never throwing for a non-zero exit or a missing program. */
export async function runCommand(cmd: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  const stream = options.stream ?? false;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      env: options.env,
      cwd: options.cwd,
      stdin: "null",
      stdout: stream ? "inherit" : "piped",
      stderr: stream ? "inherit" : "piped",
    }).spawn();
  } catch (error) {
    return { code: 127, output: `${cmd}: ${error instanceof Error ? error.message : String(error)}` };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 30 * 60_000);
  try {
    if (stream) {
      const status = await child.status;
      return { code: timedOut ? 124 : status.code, output: "" };
    }
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { code: timedOut ? 124 : out.code, output: text };
  } finally {
    clearTimeout(timer);
  }
}

/** The last `lines` lines of a command's output, for error messages. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
