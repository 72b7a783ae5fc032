/**
 * Output of the dev stack: every child line goes to the console prefixed with the service name in its colour, and to
 * the session log file with a timestamp. The last lines of each service are kept to show when it dies.
 *
 * @module
 */

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93] as const;

/** Where the prefixed lines go. */
export class StackOutput {
  readonly #file: Deno.FsFile | null;
  readonly #color: boolean;
  #console: boolean;
  readonly #width: number;
  readonly #colorOf = new Map<string, number>();
  readonly #recent = new Map<string, string[]>();
  readonly #encoder = new TextEncoder();
  /** How many lines per service {@linkcode recentLines} keeps. */
  static readonly KEEP_LINES = 30;

  /**
   * @param names service names (they fix the prefix width and the colours)
   * @param logPath session log file, created with its folder; null for none
   * @param options `console: false` writes only the file (detached runs); `color` defaults to a TTY without NO_COLOR
   */
  constructor(names: string[], logPath: string | null, options: { console?: boolean; color?: boolean } = {}) {
    this.#width = Math.max(...names.map((n) => n.length), 3);
    names.forEach((n, i) => this.#colorOf.set(n, COLORS[i % COLORS.length]));
    this.#console = options.console ?? true;
    this.#color = options.color ?? (Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"));
    if (logPath) {
      Deno.mkdirSync(logPath.slice(0, logPath.lastIndexOf("/")) || ".", { recursive: true });
      this.#file = Deno.openSync(logPath, { create: true, append: true });
    } else {
      this.#file = null;
    }
  }

  /** Writes one line from `source` (a service name, or "dev" for the runner itself). */
  line(source: string, text: string): void {
    const clean = text.replace(/\r$/, "");
    if (source !== "dev") {
      const kept = this.#recent.get(source) ?? [];
      kept.push(clean);
      if (kept.length > StackOutput.KEEP_LINES) kept.shift();
      this.#recent.set(source, kept);
    }
    const name = source.padEnd(this.#width);
    if (this.#console) {
      const color = this.#colorOf.get(source);
      const prefix = this.#color ? `\x1b[${color ?? 1}m${name} |\x1b[0m` : `${name} |`;
      try {
        Deno.stdout.writeSync(this.#encoder.encode(`${prefix} ${clean}\n`));
      } catch {
        // The console went away (closed pipe, terminal gone): keep running and keep writing the log file.
        this.#console = false;
      }
    }
    this.#file?.writeSync(this.#encoder.encode(`${new Date().toISOString()} ${name} | ${stripAnsi(clean)}\n`));
  }

  /** The last lines `source` printed (oldest first). */
  recentLines(source: string, count = 15): string[] {
    return (this.#recent.get(source) ?? []).slice(-count);
  }

  /** Closes the log file. */
  close(): void {
    try {
      this.#file?.close();
    } catch { /* already closed */ }
  }
}

/** Removes ANSI escape sequences (children colour their own output; the log file should not carry them). */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

/** Calls `onLine` for each line of a byte stream; a trailing partial line is delivered at the end. */
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, at));
      pending = pending.slice(at + 1);
    }
  }
  pending += decoder.decode();
  if (pending) onLine(pending);
}

/** `logs/dev-sessions/<stack>-YYYYMMDD-HHMMSS.log` for a session starting at `now` (local time). */
export function sessionLogName(stack: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `logs/dev-sessions/${stack}-${stamp}.log`;
}
