/**
 * The two log line formats: JSON lines for machines, readable (optionally coloured) lines for people.
 * Both render the same record: timestamp, level, logger category, message, and flattened context fields
 * (service, worker, session_id, model_id, …).
 *
 * @module
 */
import type { LogRecord } from "@logtape/logtape";

/** Fields added to every line, e.g. `{ service: "worker", worker: "tts-mock-1" }`. */
export type StaticFields = Record<string, string>;

/** Keys the JSON format owns; a context field with one of these names is written with a `_` suffix. */
const RESERVED = new Set(["@timestamp", "level", "logger", "message"]);

/** Makes a value safe for JSON: errors become objects with their stack, bigints become strings. */
function jsonSafe(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** Renders a message part that is not literal text. */
function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value, (_k, v) => jsonSafe(v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The message of a record with its interpolated values rendered. */
export function renderMessage(record: LogRecord): string {
  return record.message.map((part, i) => (i % 2 === 0 ? String(part) : renderValue(part))).join("");
}

/** The dotted logger name, e.g. `voice.worker.runtime`. */
function loggerName(record: LogRecord): string {
  return record.category.join(".");
}

/**
 * One JSON object per line: `@timestamp`, `level`, `logger`, `message`, then the static fields and the record's
 * properties at the top level (not nested), so log tools can filter on `session_id` directly.
 */
export function jsonLine(record: LogRecord, fields: StaticFields): string {
  const out: Record<string, unknown> = {
    "@timestamp": new Date(record.timestamp).toISOString(),
    level: record.level,
    logger: loggerName(record),
    message: renderMessage(record),
    ...fields,
  };
  for (const [key, value] of Object.entries(record.properties)) {
    out[RESERVED.has(key) ? `${key}_` : key] = jsonSafe(value);
  }
  try {
    return JSON.stringify(out, (_k, v) => jsonSafe(v)) + "\n";
  } catch {
    // A circular property must not cost the log line.
    return JSON.stringify({
      ...out,
      ...Object.fromEntries(Object.keys(record.properties).map((k) => [k, "[unserializable]"])),
    }) +
      "\n";
  }
}

const ANSI = {
  reset: "\x1b[0m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  yellow: "\x1b[33m",
  green: "\x1b[32m",
  gray: "\x1b[90m",
  cyan: "\x1b[36m",
};

const LEVEL_COLOR: Record<string, string> = {
  trace: ANSI.gray,
  debug: ANSI.gray,
  info: ANSI.green,
  warning: ANSI.yellow,
  error: ANSI.red,
  fatal: ANSI.red,
};

/** A context value as `key=value`, quoting values with spaces. */
function kv(key: string, value: unknown): string {
  const text = renderValue(jsonSafe(value));
  return `${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
}

/**
 * A readable line: `08:01:02.345 INFO  worker.runtime  session started  service=worker session_id=s1`.
 * The `voice.` root is left out of the logger name; the time is UTC.
 */
export function textLine(record: LogRecord, fields: StaticFields, colors: boolean): string {
  const paint = (color: string, s: string) => (colors ? `${color}${s}${ANSI.reset}` : s);
  const time = new Date(record.timestamp).toISOString().slice(11, 23);
  const level = record.level.toUpperCase().padEnd(7);
  const name = record.category.slice(1).join(".") || record.category.join(".");
  const context = [...Object.entries(fields), ...Object.entries(record.properties)].map(([k, v]) => kv(k, v));
  const parts = [
    paint(ANSI.dim, time),
    paint(LEVEL_COLOR[record.level] ?? "", level),
    paint(ANSI.cyan, name),
    renderMessage(record),
  ];
  if (context.length > 0) parts.push(paint(ANSI.dim, context.join(" ")));
  return parts.join(" ") + "\n";
}
