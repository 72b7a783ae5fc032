import assert from "node:assert/strict";
import type { z } from "zod";
import {
  ALL_ENV_KEYS,
  deployFields,
  loadConfig,
  orchestratorConfigSchema,
  workerConfigSchema,
} from "../../../shared/config/mod.ts";
import { ENV_EXAMPLE_PATH, parseEnvFile } from "./env_file.ts";

Deno.test(".env.example lists exactly the variables the config schemas read", () => {
  const listed = new Set(Object.keys(parseEnvFile(Deno.readTextFileSync(ENV_EXAMPLE_PATH), true)));
  const missing = [...ALL_ENV_KEYS].filter((k) => !listed.has(k));
  const unknown = [...listed].filter((k) => !ALL_ENV_KEYS.has(k));
  assert.deepEqual(
    { missingFromEnvExample: missing, notReadByAnySchema: unknown },
    { missingFromEnvExample: [], notReadByAnySchema: [] },
    "keep .env.example (VAR=default with a one-line comment) in sync with the schemas in shared/config/",
  );
});

Deno.test(".env.example shows each variable's real default", () => {
  const example = parseEnvFile(Deno.readTextFileSync(ENV_EXAMPLE_PATH));
  const schemas: [string, z.ZodType<unknown>][] = [
    ["worker", workerConfigSchema],
    ["orchestrator", orchestratorConfigSchema],
    ["deploy", deployFields],
  ];
  for (const [service, schema] of schemas) {
    const fromExample = loadConfig(schema, example, { service });
    const fromNothing = loadConfig(schema, {}, { service });
    assert.ok(fromExample.ok, `${service}: .env.example does not load: ${JSON.stringify(fromExample)}`);
    assert.ok(fromNothing.ok);
    // Unset optional variables come out as absent or undefined; both mean "not set".
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
    assert.deepEqual(
      plain(fromExample.config),
      plain(fromNothing.config),
      `${service}: a value in .env.example differs from the default`,
    );
  }
});

Deno.test("every variable in .env.example has a comment line above it", () => {
  const lines = Deno.readTextFileSync(ENV_EXAMPLE_PATH).split("\n");
  lines.forEach((line, i) => {
    if (/^#?[A-Z][A-Z0-9_]*=/.test(line)) {
      assert.match(lines[i - 1] ?? "", /^# \S/, `${line.split("=")[0].replace("#", "")} has no comment`);
    }
  });
});

Deno.test("docs/CONFIGURATION.md documents every variable", () => {
  const doc = Deno.readTextFileSync(new URL("../../../docs/CONFIGURATION.md", import.meta.url));
  const undocumented = [...ALL_ENV_KEYS].filter((k) => !doc.includes(`\`${k}\``));
  assert.deepEqual(undocumented, [], "add a table row for each of these to docs/CONFIGURATION.md");
});

/** Variables the Caddyfile reads that the dev runner and compose set themselves (not for `.env`). */
const SET_BY_THE_STACK = new Set(["CADDY_ADMIN", "WEB_ROOT", "ORCHESTRATOR_UPSTREAM", "LIVEKIT_UPSTREAM"]);

Deno.test("every variable compose and the Caddyfile substitute is in .env.example, with the same default", () => {
  const listed = parseEnvFile(Deno.readTextFileSync(ENV_EXAMPLE_PATH), true);
  const read = (name: string) => Deno.readTextFileSync(new URL(`../../../${name}`, import.meta.url));
  const found = new Map<string, string | undefined>();
  for (const file of ["docker-compose.yml", "docker-compose.multi-gpu.yml"]) {
    for (const m of read(file).matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*)|:\?[^}]*)?\}/g)) found.set(m[1], m[2]);
  }
  for (const m of read("Caddyfile").matchAll(/\{\$([A-Z][A-Z0-9_]*)(?::([^}]*))?\}/g)) {
    if (!SET_BY_THE_STACK.has(m[1])) found.set(m[1], m[2]);
  }
  assert.ok(
    found.has("PUBLIC_HOST") && found.has("COSYVOICE_CUDA_DEVICE"),
    `the scan finds variables: ${[...found.keys()]}`,
  );
  for (const [name, fallback] of found) {
    assert.ok(name in listed, `${name} is substituted by compose or Caddy but missing from .env.example`);
    if (fallback !== undefined) {
      assert.equal(listed[name], fallback, `${name}: .env.example and the file's own default disagree`);
    }
  }
});
