/**
 * The processes stand side by side over the shared ground: `web/`, `orchestrator/` and `workers/` import `shared/`
 * and `proto/` but never one another, and `shared/` imports none of them. The wire vocabularies live in
 * `shared/protocol/` and `shared/tts/`, so no process has to reach into another to speak to it. Benches and tests share
 * their tools through `harness/`, so no bench reaches into a test folder.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), "../.."));

/** A folder's code may not import from these top-level folders. */
const FORBIDDEN: Record<string, readonly string[]> = {
  "orchestrator": ["workers", "web", "scripts", "bench", "tests", "harness"],
  "workers": ["orchestrator", "web", "scripts", "bench", "tests", "harness"],
  "web/src": ["orchestrator", "workers", "scripts", "bench", "tests", "harness"],
  "shared": ["orchestrator", "workers", "web", "scripts", "bench", "tests", "harness"],
  // What tests and benches share (real Redis, LiveKit, speech, ports…) lives in harness/, never inside tests/.
  "bench": ["tests"],
  "harness": ["tests", "bench"],
};

/** Relative import specifiers of a module: static and dynamic imports and re-exports. */
function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) found.push(m[1]);
  return found;
}

/** Every import from `file` (repo-relative) that lands in a folder `FORBIDDEN` lists for it, as readable lines. */
function violationsOf(file: string, source: string): string[] {
  const owner = Object.keys(FORBIDDEN).find((folder) => file.startsWith(`${folder}/`));
  if (!owner) return [];
  const out: string[] = [];
  for (const specifier of importSpecifiers(source)) {
    const target = normalize(join(dirname(file), specifier));
    const top = target.split("/")[0];
    if (FORBIDDEN[owner].includes(top)) out.push(`${file} imports ${target}`);
  }
  return out;
}

async function* sources(folder: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, folder))) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "node_modules" && entry.name !== "dist") yield* sources(path);
    else if (entry.isFile && /\.(ts|tsx|js)$/.test(entry.name)) yield path;
  }
}

Deno.test("the import checker sees static, dynamic and re-export imports that cross a forbidden line", () => {
  const source = [
    'import { a } from "../../workers/runtime/adapter.ts";',
    'export { b } from "../../shared/tts/mod.ts";',
    'const c = await import("../../web/src/main.ts");',
    'import type { D } from "./contract.ts";',
  ].join("\n");
  assert.deepEqual(violationsOf("orchestrator/routing/x.ts", source), [
    "orchestrator/routing/x.ts imports workers/runtime/adapter.ts",
    "orchestrator/routing/x.ts imports web/src/main.ts",
  ]);
  assert.deepEqual(violationsOf("web/src/x.ts", 'import { P } from "../../orchestrator/protocol/parse.ts";'), [
    "web/src/x.ts imports orchestrator/protocol/parse.ts",
  ]);
  assert.deepEqual(violationsOf("scripts/x.ts", 'import { P } from "../orchestrator/main.ts";'), []);
});

Deno.test("no process imports another (orchestrator, workers, web and shared import only shared and proto), and bench and harness import no test file", async () => {
  const violations: string[] = [];
  let files = 0;
  for (const folder of Object.keys(FORBIDDEN)) {
    for await (const file of sources(folder)) {
      files++;
      violations.push(...violationsOf(file, await Deno.readTextFile(join(ROOT, file))));
    }
  }
  assert.ok(files > 100, `scanned only ${files} files`);
  assert.deepEqual(violations, []);
});
