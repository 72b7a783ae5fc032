/**
 * What one client can make the LLM do, against a stand-in OpenAI-compatible server (no real LLM can run here): every
 * request carries `max_tokens` (LLM_MAX_TOKENS, default 300), one key's turns are budgeted (LLM_TURNS_PER_MINUTE)
 * across its sessions, and upstream error text never reaches the client.
 */
import assert from "node:assert/strict";
import { OpenAiStandin } from "../../harness/openai_standin.ts";
import { startLightStack } from "./light_stack.ts";

Deno.test("llm limits: max_tokens on every request, a per-key turn budget, generic errors to clients", async () => {
  const standin = OpenAiStandin.start();
  const stack = await startLightStack({
    env: { RESPONDER: "llm", LLM_BASE_URL: standin.baseUrl, LLM_MODEL: "stand-in", LLM_TURNS_PER_MINUTE: "3" },
  });
  try {
    const client = await stack.connect();
    await client.start();
    for (let i = 0; i < 3; i++) {
      const from = client.events.length;
      client.sendText(`turn ${i}`);
      await client.waitFor((e) => e.type === "response.done" || e.type === "error", 15_000, from);
    }
    assert.equal(
      standin.requests.length,
      3,
      JSON.stringify(client.events.map((e) => [e.type, (e as { message?: string }).message])),
    );
    for (const request of standin.requests) {
      assert.equal((request as unknown as { max_tokens: number }).max_tokens, 300, "LLM_MAX_TOKENS default");
    }
    // The budget is per key, not per session: a second session of the same key is over budget as well.
    const second = await stack.connect();
    await second.start();
    second.sendText("one more");
    const refused = await second.waitFor("error", 10_000);
    assert.equal((refused as { code: string }).code, "responder_failed");
    assert.match((refused as { message: string }).message, /too many turns/);
    assert.equal(standin.requests.length, 3, "nothing over budget went upstream");
    await second.close();
    await client.close();
  } finally {
    await stack.close();
  }
  const stack2 = await startLightStack({
    env: { RESPONDER: "llm", LLM_BASE_URL: standin.baseUrl, LLM_MODEL: "stand-in" },
  });
  try {
    standin.scenario = { kind: "status", status: 500 };
    const client = await stack2.connect();
    await client.start();
    client.sendText("hello");
    const error = await client.waitFor("error", 15_000) as { code: string; message: string };
    assert.equal(error.code, "responder_failed");
    assert.doesNotMatch(error.message, /stand-in|500|127\.0\.0\.1|http/, "no upstream detail to clients");
    await client.close();
  } finally {
    await stack2.close();
    await standin.close();
  }
});
