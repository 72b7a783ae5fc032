/**
 * Typos in variable names fail silently (the default is used), so a variable with one of this project's prefixes
 * that no schema reads gets a warning naming the nearest known variable.
 *
 * @module
 */
import { ALL_ENV_KEYS } from "./env_keys.ts";
import type { Env } from "./load.ts";

/** Prefixes of this project's variables. */
export const PROJECT_PREFIXES = [
  "ORCHESTRATOR_",
  "WORKER_",
  "ASR_",
  "VAD_",
  "LLM_",
  "LIVEKIT_",
  "TTS_",
  "PIPER_",
  "COSYVOICE_",
  "WEB_",
  "REDIS_",
  "MODEL_",
  "CADDY_",
  "COMPOSE_",
  "LOG_",
  "WHISPER_",
  "PACER_",
  "ROUTING_",
] as const;

/** Variables with a project prefix that are not ours by design (read by tools we run, not by our services). */
const FOREIGN = new Set(["LIVEKIT_KEYS", "LIVEKIT_CONFIG", "LIVEKIT_CONFIG_FILE"]);

/** Edit distance (insert, delete, substitute). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known variable closest to `name`. */
export function nearestKnownVariable(name: string, known: Iterable<string> = ALL_ENV_KEYS): string {
  let best = "";
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** One warning line per unknown project-prefixed variable in `env`, naming the nearest known one. */
export function unknownVariableWarnings(env: Env, known: ReadonlySet<string> = ALL_ENV_KEYS): string[] {
  return Object.keys(env)
    .filter((name) => PROJECT_PREFIXES.some((p) => name.startsWith(p)) && !known.has(name) && !FOREIGN.has(name))
    .sort()
    .map((name) => `${name} is set but no service reads it; did you mean ${nearestKnownVariable(name, known)}?`);
}
