/**
 * Loading a service's configuration from the environment: validate every variable, run the checks that need the
 * file system or the hardware, and report ALL problems at once, each naming the variable, its value and the fix.
 *
 * Values come from the process environment; tasks pass `--env-file .env` so a `.env` file fills in what the real
 * environment leaves unset (the real environment wins). Configuration is read once at startup: changes need a
 * restart.
 *
 * @module
 */
import type { z } from "zod";
import { type ConfigProblem, formatProblem, redactValue } from "./problem.ts";

/** The environment as a plain map (what `Deno.env.toObject()` returns). */
export type Env = Record<string, string | undefined>;

/** What a check found; `config` replaces the loaded config when a check applies a fallback. */
export interface ConfigCheckResult<T> {
  problems: ConfigProblem[];
  config?: T;
}

/** A check that runs after the schema accepted the environment (file system, GPU, cross-service facts). */
export type ConfigCheck<T> = (config: T) => ConfigCheckResult<T>;

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions<T> {
  /** Service name used in messages, e.g. `worker`. */
  service: string;
  /** Checks run in order after the schema, each seeing the config as the previous one left it. */
  checks?: ConfigCheck<T>[];
}

/** The outcome of {@linkcode loadConfig}. `warnings` are formatted lines, one per warning. */
export type LoadConfigResult<T> =
  | { ok: true; config: T; warnings: string[] }
  | { ok: false; problems: ConfigProblem[] };

/** Turns zod issues into problems, reading the raw value from the environment. */
function problemsFromIssues(issues: readonly z.core.$ZodIssue[], env: Env): ConfigProblem[] {
  return issues.map((issue) => {
    const variable = String(issue.path[0] ?? "(environment)");
    const params = (issue as { params?: { fix?: unknown } }).params;
    const fix = typeof params?.fix === "string" ? params.fix : "see docs/CONFIGURATION.md for the accepted values";
    return {
      variable,
      value: redactValue(variable, env[variable]),
      problem: issue.message,
      fix,
      severity: "error" as const,
    };
  });
}

/**
 * Validates `env` against `schema`, then runs `checks`. Never throws for bad input: every problem found is returned.
 * When some variables are invalid, the checks still run on a config where those variables take their defaults, so
 * that unrelated problems (a missing voicepack) are reported in the same pass; problems about the invalid
 * variables themselves are not repeated.
 */
export function loadConfig<T>(schema: z.ZodType<T>, env: Env, options: LoadConfigOptions<T>): LoadConfigResult<T> {
  const problems: ConfigProblem[] = [];
  let parsed = schema.safeParse(env);
  const invalidVars = new Set<string>();
  if (!parsed.success) {
    problems.push(...problemsFromIssues(parsed.error.issues, env));
    for (const p of problems) invalidVars.add(p.variable);
    const withDefaults = { ...env };
    for (const name of invalidVars) delete withDefaults[name];
    parsed = schema.safeParse(withDefaults);
  }
  if (parsed.success) {
    let config = parsed.data;
    for (const check of options.checks ?? []) {
      const result = check(config);
      problems.push(...result.problems.filter((p) => !invalidVars.has(p.variable)));
      if (result.config !== undefined) config = result.config;
    }
    if (!problems.some((p) => p.severity === "error")) {
      return { ok: true, config, warnings: problems.map(formatProblem) };
    }
  }
  return { ok: false, problems };
}

/** The multi-line report printed when a service refuses to start. */
export function formatProblemReport(service: string, problems: readonly ConfigProblem[]): string {
  const errors = problems.filter((p) => p.severity === "error").length;
  const head = `${service}: configuration has ${errors} error${errors === 1 ? "" : "s"}` +
    ` (set the variables in the environment or in .env; see docs/CONFIGURATION.md):`;
  return [head, ...problems.map(formatProblem)].join("\n");
}

/**
 * A report printed before logging is set up, in the format `LOG_FORMAT` asks for: with `json`, one JSON object
 * (the shape of `shared/log/format.ts` lines, logger `voice.config`) so a log pipeline never meets a stray text line.
 */
function reportLine(env: Env, service: string, level: "warning" | "error", text: string): string {
  if (env.LOG_FORMAT?.trim().toLowerCase() !== "json") return text;
  return JSON.stringify({
    "@timestamp": new Date().toISOString(),
    level,
    logger: "voice.config",
    message: text,
    service,
  });
}

/**
 * Loads the configuration or stops the process: on any error every problem is printed to stderr and the process
 * exits with status 1. Warnings are printed to stderr once (logging is not set up yet at this point, and the
 * level and format come from this very config) and the service starts. Both are JSON lines under `LOG_FORMAT=json`.
 */
export function loadConfigOrExit<T>(
  schema: z.ZodType<T>,
  service: string,
  env: Env = Deno.env.toObject(),
  checks: ConfigCheck<T>[] = [],
): T {
  const result = loadConfig(schema, env, { service, checks });
  if (!result.ok) {
    console.error(reportLine(env, service, "error", formatProblemReport(service, result.problems)));
    Deno.exit(1);
  }
  for (const line of result.warnings) {
    console.error(reportLine(env, service, "warning", `${service}: configuration warning\n${line}`));
  }
  return result.config;
}
