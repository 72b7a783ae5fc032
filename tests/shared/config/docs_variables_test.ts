import assert from "node:assert/strict";
import { ALL_ENV_KEYS } from "../../../shared/config/mod.ts";

const ROOT = new URL("../../../", import.meta.url);

/** Upper-case words in backticks that are not environment variables (protocol words, placeholders). */
const NOT_VARIABLES = new Set(["PING", "SERVING", "VAR"]);

/** Files whose text counts as "the code reads it": sources, compose, Caddy, Docker, CI. */
async function codeText(): Promise<string> {
  const parts: string[] = [];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      if ([".git", "node_modules", ".cache", ".tools", "docs", "tests", "logs", "dist"].includes(entry.name)) continue;
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (/\.(ts|ya?ml|sh|py)$|^Caddyfile$|Dockerfile$|^run$/.test(entry.name)) {
        parts.push(await Deno.readTextFile(url));
      }
    }
  };
  await walk(ROOT);
  return parts.join("\n");
}

Deno.test("every environment variable the README and docs/ name is read by the code", async () => {
  const docs = ["README.md", ...[...Deno.readDirSync(new URL("docs/", ROOT))].map((e) => `docs/${e.name}`)]
    .filter((path) => path.endsWith(".md"));
  const named = new Set<string>();
  for (const path of docs) {
    const text = await Deno.readTextFile(new URL(path, ROOT));
    for (const m of text.matchAll(/`\$?([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{2,})(?:=[^`]*)?`/g)) named.add(m[1]);
  }
  const code = await codeText();
  assert.ok(named.has("REDIS_URL") && named.has("VOICE_CHAT_CACHE"), "the scan finds variable names");
  const unread = [...named].filter((name) =>
    !NOT_VARIABLES.has(name) && !ALL_ENV_KEYS.has(name) && !new RegExp(`\\b${name}\\b`).test(code)
  );
  assert.deepEqual(unread, [], "named in README.md or docs/ but read by no code: fix the doc or the code");
});
