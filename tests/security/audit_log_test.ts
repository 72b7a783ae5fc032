/**
 * The audit stream: JSON lines in their own category, written whatever LOG_LEVEL and LOG_FORMAT say, with only the
 * allowed fields (no transcript text, no secrets).
 */
import assert from "node:assert/strict";
import { audit } from "../../shared/log/audit.ts";
import { setupLogging, teardownLogging } from "../../shared/log/setup.ts";
import { startLightStack } from "./light_stack.ts";

Deno.test("audit: a JSON line per event even at LOG_LEVEL=error in text format, with allow-listed fields only", () => {
  const lines: string[] = [];
  setupLogging({ service: "orchestrator", level: "error", format: "text", write: (line) => lines.push(line) });
  try {
    audit({ action: "auth", outcome: "denied", client: "203.0.113.9", reason: "bad_credential", via: "http" });
    audit({
      action: "session.start",
      outcome: "ok",
      principal: "key:abc",
      target: "s1",
      // A caller mistake must not leak: unknown fields are dropped.
      ...({ text: "what the user said", apiKey: "secret-key" } as Record<string, string>),
    });
  } finally {
    teardownLogging();
  }
  assert.equal(lines.length, 2);
  const events = lines.map((line) => JSON.parse(line));
  assert.equal(events[0].logger, "voice.audit");
  assert.equal(events[0].stream, "audit");
  assert.equal(events[0].action, "auth");
  assert.equal(events[0].outcome, "denied");
  assert.equal(events[0].client, "203.0.113.9");
  assert.ok(events[0]["@timestamp"]);
  assert.equal(events[1].principal, "key:abc");
  assert.ok(!lines[1].includes("what the user said") && !lines[1].includes("secret-key"), lines[1]);
});

Deno.test("audit: a session writes start and end lines with its principal, never its text or key", async () => {
  const lines: string[] = [];
  const stack = await startLightStack();
  setupLogging({ service: "orchestrator", level: "error", format: "json", write: (line) => lines.push(line) });
  try {
    await stack.goodSession();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    teardownLogging();
    await stack.close();
  }
  const audits = lines.map((l) => JSON.parse(l)).filter((e) => e.logger === "voice.audit");
  const actions = audits.map((e) => `${e.action}:${e.outcome}`);
  assert.ok(actions.includes("session.start:ok") && actions.includes("session.end:ok"), actions.join(", "));
  assert.ok(audits.every((e) => !e.principal || /^key:[0-9a-f]{12}$/.test(e.principal)), JSON.stringify(audits));
  const all = lines.join("\n");
  assert.ok(!all.includes("a good turn"), "no transcript or message text in the logs");
  assert.ok(!all.includes("light-stack-key"), "no key in the logs");
});
