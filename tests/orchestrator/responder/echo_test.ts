import assert from "node:assert/strict";
import { EchoResponder } from "../../../orchestrator/responder/echo.ts";
import { responderContractSuite } from "./contract_suite.ts";

responderContractSuite(
  "echo",
  () => Promise.resolve({ responder: new EchoResponder(), dispose: () => Promise.resolve() }),
);

Deno.test("echo responder: says back exactly what the user said", async () => {
  const deltas: string[] = [];
  const responder = new EchoResponder();
  for await (
    const d of responder.respond({
      history: [{ role: "user", content: "  Hello there. How are you?" }],
      signal: new AbortController().signal,
    })
  ) {
    deltas.push(d);
  }
  assert.equal(deltas.join(""), "Hello there. How are you?");
});

Deno.test("echo responder: answers nothing when the last turn is not the user's", async () => {
  const responder = new EchoResponder();
  const deltas: string[] = [];
  for await (
    const d of responder.respond({
      history: [{ role: "assistant", content: "hi" }],
      signal: new AbortController().signal,
    })
  ) {
    deltas.push(d);
  }
  assert.deepEqual(deltas, []);
});
