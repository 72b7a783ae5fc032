/**
 * What a configuration problem looks like, and how it reads on a terminal.
 *
 * @module
 */

/** How bad a problem is: an `error` stops the service, a `warning` is reported and the service carries on. */
export type ProblemSeverity = "error" | "warning";

/** One thing wrong with the environment, with enough detail for an operator to fix it without reading code. */
export interface ConfigProblem {
  /** The environment variable at fault, e.g. `WORKER_GRPC_PORT`. */
  variable: string;
  /** Its value as given (secrets masked); `undefined` when it was not set. */
  value: string | undefined;
  /** What is wrong, e.g. `must be a port number from 1 to 65535`. */
  problem: string;
  /** What to do about it, e.g. `set WORKER_GRPC_PORT to a free port such as 7002`. */
  fix: string;
  severity: ProblemSeverity;
}

/** Names whose values never appear in messages or logs. */
const SECRET_NAME = /SECRET|API_KEY|PASSWORD|TOKEN/;

/**
 * Masks what must not be printed: the whole value of a secret variable, the password inside a URL
 * (`redis://:hunter2@host` → `redis://:***@host`).
 */
export function redactValue(variable: string, value: string | undefined): string | undefined {
  if (value === undefined || value === "") return value;
  if (SECRET_NAME.test(variable)) return `*** (${value.length} characters, hidden)`;
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@/\s]+)@/i, "$1***@");
}

/** One readable line per problem: `✖ WORKER_GRPC_PORT="abc": must be … → fix: set …`. */
export function formatProblem(p: ConfigProblem): string {
  const mark = p.severity === "error" ? "✖" : "⚠";
  const shown = p.value === undefined ? "(not set)" : JSON.stringify(p.value);
  return `${mark} ${p.variable}=${shown}: ${p.problem}\n    → fix: ${p.fix}`;
}
