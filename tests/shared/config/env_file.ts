/**
 * Reads `.env.example` for the config tests: variable lines only (`NAME=value`, optional double quotes).
 *
 * @module
 */

/** Path of the repository's `.env.example`. */
export const ENV_EXAMPLE_PATH = new URL("../../../.env.example", import.meta.url);

/**
 * Parses `NAME=value` lines, skipping comments and blanks; throws on a duplicated name. With `includeCommented`,
 * lines written `#NAME=value` (a variable listed but deliberately left unset) are included too.
 */
export function parseEnvFile(text: string, includeCommented = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, hash, name, value] = m;
    if (hash === "#" && !includeCommented) continue;
    if (name in out) throw new Error(`${name} appears twice in .env.example`);
    const raw = value.trim();
    out[name] = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  }
  return out;
}
