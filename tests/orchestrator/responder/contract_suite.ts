/**
 * The one shared contract suite of the responder seam: every responder (echo, the OpenAI-compatible client against
 * the local stand-in) must pass it.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ConversationMessage, Responder } from "../../../orchestrator/responder/contract.ts";
import { ResponderError } from "../../../orchestrator/responder/contract.ts";

/** A responder under test and how to release what it uses. */
export interface ResponderFixture {
  responder: Responder;
  dispose(): Promise<void>;
}

async function collect(responder: Responder, history: ConversationMessage[], signal = new AbortController().signal) {
  const deltas: string[] = [];
  for await (const delta of responder.respond({ history, language: "en", signal })) deltas.push(delta);
  return deltas;
}

/** Registers the contract tests for one responder. */
export function responderContractSuite(name: string, make: () => Promise<ResponderFixture>): void {
  const test = (title: string, fn: (responder: Responder) => Promise<void>) =>
    Deno.test(`responder contract (${name}): ${title}`, async () => {
      const fixture = await make();
      try {
        await fn(fixture.responder);
      } finally {
        await fixture.dispose();
      }
    });

  test("answers a user turn with text that mentions what was said", async (responder) => {
    const text = (await collect(responder, [{ role: "user", content: "the green lamp is on" }])).join("");
    assert.match(text, /the green lamp is on/);
  });

  test("streams the answer in several deltas, not one blob", async (responder) => {
    const deltas = await collect(responder, [{ role: "user", content: "one two three four" }]);
    assert.ok(deltas.filter((d) => d.trim()).length >= 3, `deltas: ${JSON.stringify(deltas)}`);
  });

  test("accepts a history with an interrupted agent turn", async (responder) => {
    const text = (await collect(responder, [
      { role: "user", content: "tell me a story" },
      { role: "assistant", content: "Once upon a", interrupted: true },
      { role: "user", content: "a shorter one" },
    ])).join("");
    assert.match(text, /a shorter one/);
  });

  test("stops promptly when cancelled after the first delta", async (responder) => {
    const abort = new AbortController();
    const seen: string[] = [];
    const started = performance.now();
    try {
      for await (
        const delta of responder.respond({
          history: [{ role: "user", content: "a b c d e f g" }],
          signal: abort.signal,
        })
      ) {
        seen.push(delta);
        abort.abort();
      }
    } catch (error) {
      assert.ok(error instanceof ResponderError && error.kind === "cancelled", String(error));
    }
    assert.ok(seen.length <= 2, `${seen.length} deltas after cancel`);
    assert.ok(performance.now() - started < 5_000);
  });

  test("an already-cancelled request yields nothing", async (responder) => {
    const abort = new AbortController();
    abort.abort();
    let deltas: string[] = [];
    try {
      deltas = await collect(responder, [{ role: "user", content: "hello" }], abort.signal);
    } catch (error) {
      assert.ok(error instanceof ResponderError && error.kind === "cancelled", String(error));
    }
    assert.deepEqual(deltas, []);
  });

  test("serves concurrent requests independently", async (responder) => {
    const [a, b] = await Promise.all([
      collect(responder, [{ role: "user", content: "first request alpha" }]),
      collect(responder, [{ role: "user", content: "second request beta" }]),
    ]);
    assert.match(a.join(""), /alpha/);
    assert.doesNotMatch(a.join(""), /beta/);
    assert.match(b.join(""), /beta/);
  });
}
