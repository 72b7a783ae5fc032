/**
 * Cross-field rules ("RESPONDER=llm needs LLM_BASE_URL") on top of a service's field schema. A rule runs only when
 * every variable it reads is itself valid, so one bad value never hides or garbles another problem.
 *
 * @module
 */
import { z } from "zod";

/** A broken rule: the variable to blame, what is wrong, and the fix. */
export interface RuleViolation {
  variable: string;
  problem: string;
  fix: string;
}

/** A rule over the parsed values of the variables in `reads`. */
export interface CrossFieldRule<T> {
  /** Variables the rule reads; it is skipped while any of them is invalid. */
  reads: readonly (keyof T & string)[];
  check: (values: T) => RuleViolation | RuleViolation[] | undefined;
}

/** Adds `rules` to an object schema of env fields. */
export function withRules<S extends z.ZodRawShape>(
  fields: z.ZodObject<S>,
  rules: readonly CrossFieldRule<z.output<z.ZodObject<S>>>[],
): z.ZodObject<S> {
  let schema = fields;
  for (const rule of rules) {
    const reads = new Set<PropertyKey>(rule.reads);
    schema = schema.superRefine((values, ctx) => {
      const found = rule.check(values);
      for (const v of found === undefined ? [] : Array.isArray(found) ? found : [found]) {
        ctx.addIssue({ code: "custom", path: [v.variable], message: v.problem, params: { fix: v.fix } });
      }
    }, { when: (payload) => !payload.issues.some((issue) => reads.has(issue.path?.[0] as PropertyKey)) });
  }
  return schema;
}
