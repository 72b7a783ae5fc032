/**
 * The OpenAI-compatible client against a local stand-in server (harness/openai_standin.ts): the same contract
 * suite as echo, then the protocol details and every failure the issue names.
 */
import assert from "node:assert/strict";
import { ResponderError } from "../../../orchestrator/responder/contract.ts";
import { INTERRUPTED_MARKER, OpenAiChatResponder } from "../../../orchestrator/responder/openai_chat.ts";
import { OpenAiStandin } from "../../../harness/openai_standin.ts";
import { responderContractSuite } from "./contract_suite.ts";

responderContractSuite("openai-compatible client vs stand-in", () => {
  const standin = OpenAiStandin.start({ apiKey: "sk-test" });
  const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "standin-1", apiKey: "sk-test" });
  return Promise.resolve({ responder, dispose: () => standin.close() });
});

async function run(responder: OpenAiChatResponder, text = "hello", signal = new AbortController().signal) {
  let out = "";
  for await (const d of responder.respond({ history: [{ role: "user", content: text }], signal })) out += d;
  return out;
}

async function withStandin(fn: (standin: OpenAiStandin) => Promise<void>, apiKey?: string) {
  const standin = OpenAiStandin.start({ apiKey });
  try {
    await fn(standin);
  } finally {
    await standin.close();
  }
}

Deno.test("openai client: sends model, stream, system prompt and marks interrupted turns", async () => {
  await withStandin(async (standin) => {
    const responder = new OpenAiChatResponder({
      baseUrl: `${standin.baseUrl}/`,
      model: "m1",
      systemPrompt: "Be brief.",
    });
    const history = [
      { role: "user" as const, content: "tell me" },
      { role: "assistant" as const, content: "Once upon", interrupted: true },
      { role: "user" as const, content: "stop" },
    ];
    let out = "";
    for await (const d of responder.respond({ history, signal: new AbortController().signal })) out += d;
    assert.equal(out, OpenAiStandin.answerFor("stop"));
    const request = standin.requests[0];
    assert.equal(request.model, "m1");
    assert.equal(request.stream, true);
    assert.deepEqual(request.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "tell me" },
      { role: "assistant", content: `Once upon${INTERRUPTED_MARKER}` },
      { role: "user", content: "stop" },
    ]);
  });
});

Deno.test("openai client: CRLF streams split into 1-byte pieces give the same answer", async () => {
  await withStandin(async (standin) => {
    standin.scenario = { kind: "ok", pieceBytes: 1, lineEnding: "\r\n" };
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m" });
    assert.equal(await run(responder, "split me"), OpenAiStandin.answerFor("split me"));
  });
});

Deno.test("openai client: a wrong API key is a clear unauthorized error", async () => {
  await withStandin(async (standin) => {
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m", apiKey: "wrong" });
    await assert.rejects(() => run(responder), (error) => {
      assert.ok(error instanceof ResponderError);
      assert.equal(error.kind, "unauthorized");
      assert.match(error.message, /HTTP 401.*Incorrect API key/);
      return true;
    });
  }, "right");
});

Deno.test("openai client: HTTP 500 is an upstream error naming the status", async () => {
  await withStandin(async (standin) => {
    standin.scenario = { kind: "status", status: 500 };
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m" });
    await assert.rejects(
      () => run(responder),
      (error) =>
        error instanceof ResponderError && error.kind === "upstream" &&
        /HTTP 500/.test(error.message),
    );
  });
});

Deno.test("openai client: a malformed event is a protocol error", async () => {
  await withStandin(async (standin) => {
    standin.scenario = { kind: "malformed" };
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m" });
    await assert.rejects(() => run(responder), (error) => error instanceof ResponderError && error.kind === "protocol");
  });
});

Deno.test("openai client: an error event mid-stream is an upstream error with the server's message", async () => {
  await withStandin(async (standin) => {
    standin.scenario = { kind: "error_event" };
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m" });
    await assert.rejects(() => run(responder), /overloaded/);
  });
});

Deno.test("openai client: a slow but steady stream completes", async () => {
  await withStandin(async (standin) => {
    standin.scenario = { kind: "ok", pieceBytes: 40, delayMs: 30 };
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m", stallTimeoutMs: 1_000 });
    assert.equal(await run(responder, "slow"), OpenAiStandin.answerFor("slow"));
  });
});

Deno.test("openai client: a stalled stream fails with a timeout instead of hanging", async () => {
  await withStandin(async (standin) => {
    standin.scenario = { kind: "stall" };
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m", stallTimeoutMs: 300 });
    const started = performance.now();
    await assert.rejects(() => run(responder), (error) => error instanceof ResponderError && error.kind === "timeout");
    assert.ok(performance.now() - started < 5_000);
  });
});

Deno.test("openai client: cancelling a stalled stream ends it as cancelled", async () => {
  await withStandin(async (standin) => {
    standin.scenario = { kind: "stall" };
    const responder = new OpenAiChatResponder({ baseUrl: standin.baseUrl, model: "m" });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    await assert.rejects(
      () => run(responder, "x", abort.signal),
      (e) => e instanceof ResponderError && e.kind === "cancelled",
    );
  });
});

Deno.test("openai client: an unreachable server is a network error", async () => {
  const responder = new OpenAiChatResponder({ baseUrl: "http://127.0.0.1:9/v1", model: "m" });
  await assert.rejects(() => run(responder), (error) => error instanceof ResponderError && error.kind === "network");
});

Deno.test("openai client: an empty model name is refused at construction", () => {
  assert.throws(() => new OpenAiChatResponder({ baseUrl: "http://x/v1", model: "" }), /LLM_MODEL/);
});
