/**
 * Builders for environment-variable fields. Each field reads one raw string (or nothing), applies its default, and
 * either yields a typed value or reports a problem that says what is wrong and how to fix it. An empty value
 * (`VAR=` in an env file) counts as not set, so commenting out a value and blanking it behave the same.
 *
 * @module
 */
import { z } from "zod";

/** A zod schema for one environment variable: raw string in, typed value out. */
export type EnvField<T> = z.ZodType<T, string | undefined>;

/** The outcome of parsing one raw value. */
export type FieldParse<T> = { value: T } | { problem: string; fix: string };

/** A problem found by a field parser. */
function invalid(problem: string, fix: string): FieldParse<never> {
  return { problem, fix };
}

/**
 * The core builder: `parse` sees the trimmed raw string; when the variable is unset or empty the default is used
 * as is (defaults are trusted, they are not parsed).
 */
export function envField<T>(defaultValue: T, parse: (raw: string) => FieldParse<T>): EnvField<T> {
  return z.string().optional().transform((input, ctx): T => {
    const raw = input?.trim() ?? "";
    if (raw === "") return defaultValue;
    const result = parse(raw);
    if ("value" in result) return result.value;
    ctx.issues.push({ code: "custom", input, message: result.problem, params: { fix: result.fix } });
    return z.NEVER;
  }) as unknown as EnvField<T>;
}

/** Options for integer fields. */
export interface IntOptions {
  min?: number;
  max?: number;
  /** Unit named in messages, e.g. `ms`. */
  unit?: string;
}

/** An integer in `[min, max]`. */
export function intField(defaultValue: number, opts: IntOptions = {}): EnvField<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, unit = "" } = opts;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  return envField(defaultValue, (raw) => {
    const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) {
      return invalid(`must be a whole number${unit ? ` of ${unit}` : ""}`, `use digits only, e.g. ${defaultValue}`);
    }
    if (n < min || n > max) return invalid(`must be ${range}${unit ? ` ${unit}` : ""}`, `use e.g. ${defaultValue}`);
    return { value: n };
  });
}

/** A duration in whole milliseconds (`≥ min`, default 0). */
export function msField(defaultValue: number, min = 0): EnvField<number> {
  return intField(defaultValue, { min, unit: "ms" });
}

/** A TCP port, 1–65535. */
export function portField(defaultValue: number): EnvField<number> {
  return envField(defaultValue, (raw) => {
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      return invalid("must be a TCP port number from 1 to 65535", `use a free port such as ${defaultValue}`);
    }
    return { value: n };
  });
}

/** A decimal number in `[min, max]`. */
export function numberField(defaultValue: number, min: number, max: number): EnvField<number> {
  return envField(defaultValue, (raw) => {
    const n = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      return invalid(`must be a number from ${min} to ${max}`, `use e.g. ${defaultValue}`);
    }
    return { value: n };
  });
}

/** One of a fixed set of words (matched case-insensitively, stored lower-case as listed). */
export function enumField<const V extends readonly [string, ...string[]]>(
  values: V,
  defaultValue: V[number],
): EnvField<V[number]> {
  return envField<V[number]>(defaultValue, (raw) => {
    const hit = values.find((v) => v === raw.toLowerCase());
    if (hit !== undefined) return { value: hit };
    return invalid(
      `must be one of ${values.join(" | ")}`,
      `use one of: ${values.join(", ")} (default ${defaultValue})`,
    );
  });
}

/** A yes/no switch: true/false, 1/0, yes/no, on/off. */
export function boolField(defaultValue: boolean): EnvField<boolean> {
  return envField(defaultValue, (raw) => {
    const v = raw.toLowerCase();
    if (["true", "1", "yes", "on"].includes(v)) return { value: true };
    if (["false", "0", "no", "off"].includes(v)) return { value: false };
    return invalid("must be true or false", "use true or false");
  });
}

/** A free-form string; `undefined` when not set and no default is given. */
export function stringField(defaultValue: string): EnvField<string>;
export function stringField(): EnvField<string | undefined>;
export function stringField(defaultValue?: string): EnvField<string | undefined> {
  return envField<string | undefined>(defaultValue, (raw) => ({ value: raw }));
}

/** A comma-separated list; blanks and surrounding spaces are dropped, duplicates removed. */
export function listField(): EnvField<string[]> {
  return envField<string[]>([], (raw) => ({
    value: [...new Set(raw.split(",").map((s) => s.trim()).filter((s) => s !== ""))],
  }));
}

/** A URL whose scheme is one of `protocols` (e.g. `["redis", "rediss"]`). */
export function urlField(defaultValue: string, protocols: readonly string[]): EnvField<string>;
export function urlField(defaultValue: undefined, protocols: readonly string[]): EnvField<string | undefined>;
export function urlField(defaultValue: string | undefined, protocols: readonly string[]): EnvField<string | undefined> {
  const example = defaultValue ?? `${protocols[0]}://host:port`;
  return envField<string | undefined>(defaultValue, (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return invalid("is not a valid URL", `write a full URL such as ${example}`);
    }
    const scheme = url.protocol.replace(/:$/, "");
    if (!protocols.includes(scheme)) {
      return invalid(`must be a ${protocols.join(" or ")} URL, not ${scheme}`, `write it like ${example}`);
    }
    if (url.hostname === "" && scheme !== "file") return invalid("has no host", `write it like ${example}`);
    return { value: raw };
  });
}

/** A parsed `host:port` pair. */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port`; `undefined` when malformed. */
export function parseHostPort(raw: string): HostPort | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(raw);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}

/** An address others dial, `host:port`; `undefined` when not set. */
export function hostPortField(example: string): EnvField<string | undefined> {
  return envField<string | undefined>(undefined, (raw) => {
    if (parseHostPort(raw)) return { value: raw };
    return invalid("must be host:port with a port from 1 to 65535", `write it like ${example}`);
  });
}

/** A host name or IP address to bind (no port, no scheme). */
export function hostField(defaultValue: string): EnvField<string> {
  return envField(defaultValue, (raw) => {
    if (/^[A-Za-z0-9_.-]+$/.test(raw) || /^[0-9a-fA-F:]+$/.test(raw)) return { value: raw };
    return invalid("must be a host name or IP address without scheme or port", `use e.g. ${defaultValue}`);
  });
}

/** Model ids name folders on disk, so they are kept to a safe alphabet. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Whether `id` is a well-formed model id (`piper-en-us-lessac-medium`): 1..128 characters, no slashes, no `..`. */
export function isModelId(id: string): boolean {
  return id.length <= 128 && MODEL_ID.test(id) && !id.includes("..");
}

/** A model id such as `piper-en-us-lessac-medium`. */
export function modelIdField(defaultValue: string): EnvField<string> {
  return envField(defaultValue, (raw) => {
    if (isModelId(raw)) return { value: raw };
    return invalid(
      "is not a model id (letters, digits, '-', '_', '.'; no slashes or '..')",
      `use an id like ${defaultValue || "piper-en-us-lessac-medium"}`,
    );
  });
}
