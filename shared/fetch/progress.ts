/**
 * Download progress on stderr: a redrawn bar on a terminal, a start line and an end line otherwise (logs and CI
 * must not fill with carriage returns).
 *
 * @module
 */

/** Receives byte counts as a download proceeds; `done` is called once at the end. */
export interface ProgressReporter {
  update(received: number, total: number | undefined): void;
  done(received: number): void;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** A reporter writing to stderr, as a bar when stderr is a terminal. */
export function stderrProgress(label: string, isTerminal = Deno.stderr.isTerminal()): ProgressReporter {
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  const started = performance.now();
  let lastDraw = 0;
  let announced = false;
  return {
    update(received, total) {
      if (!isTerminal) {
        if (!announced) write(`${label}: downloading${total ? ` ${megabytes(total)}` : ""}\n`);
        announced = true;
        return;
      }
      const now = performance.now();
      if (now - lastDraw < 100 && received !== total) return;
      lastDraw = now;
      const width = 30;
      const filled = total ? Math.min(width, Math.round((received / total) * width)) : 0;
      const bar = total
        ? `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor((received / total) * 100)}%`
        : "";
      write(`\r${label} ${bar} ${megabytes(received)}${total ? ` / ${megabytes(total)}` : ""}   `);
    },
    done(received) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      write(`${isTerminal ? "\r" : ""}${label}: ${megabytes(received)} in ${seconds} s${" ".repeat(30)}\n`);
    },
  };
}
