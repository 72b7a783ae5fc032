/**
 * Small helpers for the config tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ConfigProblem, LoadConfigResult } from "../../../shared/config/mod.ts";

/** Asserts the load failed and returns its problems. */
export function problemsOf<T>(result: LoadConfigResult<T>): ConfigProblem[] {
  assert.equal(result.ok, false, `expected problems, got config ${JSON.stringify(result)}`);
  return (result as { problems: ConfigProblem[] }).problems;
}

/** Asserts the load succeeded and returns the result. */
export function okOf<T>(result: LoadConfigResult<T>): { config: T; warnings: string[] } {
  assert.ok(result.ok, `expected a config, got problems: ${JSON.stringify(result)}`);
  return result;
}

/** The one problem about `variable`; fails when there is none or several. */
export function problemFor(problems: ConfigProblem[], variable: string): ConfigProblem {
  const found = problems.filter((p) => p.variable === variable);
  assert.equal(found.length, 1, `expected one problem for ${variable}, got ${JSON.stringify(problems, null, 1)}`);
  return found[0];
}
