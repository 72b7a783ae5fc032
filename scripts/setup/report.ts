/**
 * The outcome of each setup step and the closing summary: what is there, what was installed, and what was left out
 * together with the fallback the stack uses instead.
 *
 * @module
 */

/** How a setup step ended. */
export type StepStatus = "present" | "installed" | "left-out";

/** One line of the setup report. */
export interface StepResult {
  /** Short name of the piece, e.g. "livekit-server". */
  name: string;
  /** Whether it was already there, installed now, or left out. */
  status: StepStatus;
  /** Where it is, or why it is missing and how to get it. */
  detail: string;
  /** What the stack does without it (only for left-out steps). */
  fallback?: string;
}

/** Formats the report as aligned text lines (no colour: it also goes to CI logs). */
export function formatReport(results: StepResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 4);
  const lines = results.map((r) => {
    const mark = r.status === "left-out" ? "LEFT OUT" : r.status === "installed" ? "installed" : "ok";
    let line = `  ${r.name.padEnd(width)}  ${mark.padEnd(9)}  ${r.detail}`;
    if (r.fallback) line += `\n  ${" ".repeat(width)}  ${" ".repeat(9)}  fallback: ${r.fallback}`;
    return line;
  });
  const leftOut = results.filter((r) => r.status === "left-out").length;
  const head = leftOut === 0 ? "setup: everything is in place" : `setup: ${leftOut} piece(s) left out`;
  return [head, ...lines].join("\n");
}
