/**
 * A LOCAL STAND-IN for an OpenAI-compatible chat-completions server (no LLM can run here): `POST
 * /v1/chat/completions` with `stream: true` answers in the OpenAI SSE format (`data: {chunk}` … `data: [DONE]`),
 * byte-split into small pieces so clients must handle chunk boundaries. Its "model" is deterministic: it answers
 * `You said: <last user message>. Anything else?`. Scenarios reproduce failures: HTTP errors, malformed events, an
 * error event mid-stream, slow and stalled streams.
 *
 * @module
 */
import { freePort } from "./ports.ts";

/** How the stand-in answers the next requests. */
export type StandinScenario =
  | { kind: "ok"; pieceBytes?: number; delayMs?: number; lineEnding?: "\n" | "\r\n" }
  | { kind: "status"; status: number }
  | { kind: "malformed" }
  | { kind: "error_event" }
  | { kind: "stall" };

/** A running stand-in server. */
export class OpenAiStandin {
  /** Bodies of the requests received, parsed. */
  readonly requests: Array<{ model: string; messages: Array<{ role: string; content: string }>; stream: boolean }> = [];
  scenario: StandinScenario = { kind: "ok" };
  #server: Deno.HttpServer<Deno.NetAddr>;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly port: number;

  private constructor(readonly apiKey: string | undefined) {
    this.port = freePort();
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: this.port, onListen: () => {} }, (r) => this.#handle(r));
  }

  /** Starts the stand-in; with `apiKey`, requests without `Authorization: Bearer <apiKey>` get 401. */
  static start(options: { apiKey?: string } = {}): OpenAiStandin {
    return new OpenAiStandin(options.apiKey);
  }

  /** Base URL as `LLM_BASE_URL` takes it. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** The answer the stand-in gives to `userText`. */
  static answerFor(userText: string): string {
    return `You said: ${userText}. Anything else?`;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    await this.#server.shutdown();
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/v1/chat/completions") {
      return json(404, { error: { message: `no route ${request.method} ${url.pathname}` } });
    }
    if (this.apiKey && request.headers.get("authorization") !== `Bearer ${this.apiKey}`) {
      return json(401, { error: { message: "Incorrect API key provided", type: "invalid_request_error" } });
    }
    const body = await request.json().catch(() => null);
    if (!body || typeof body.model !== "string" || !Array.isArray(body.messages)) {
      return json(400, { error: { message: "model and messages are required" } });
    }
    this.requests.push(body);
    const scenario = this.scenario;
    if (scenario.kind === "status") return json(scenario.status, { error: { message: `stand-in ${scenario.status}` } });
    const last = [...body.messages].reverse().find((m: { role: string }) => m.role === "user");
    const eol = scenario.kind === "ok" ? scenario.lineEnding ?? "\n" : "\n";
    const events = this.#events(scenario, body.model, String(last?.content ?? ""), eol);
    const bytes = new TextEncoder().encode(events.join(""));
    const piece = scenario.kind === "ok" ? scenario.pieceBytes ?? 7 : bytes.length;
    const delayMs = scenario.kind === "ok" ? scenario.delayMs ?? 0 : 0;
    const stall = scenario.kind === "stall";
    let offset = 0;
    const timers = this.#timers;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) {
          if (stall) return new Promise(() => {}); // never ends: the client must time out or cancel
          controller.close();
          return;
        }
        const next = bytes.slice(offset, offset + piece);
        offset += piece;
        if (delayMs === 0) return controller.enqueue(next);
        return new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            controller.enqueue(next);
            resolve();
          }, delayMs);
          pending = timer;
          timers.add(timer);
        });
      },
      cancel() {
        if (pending !== undefined) {
          clearTimeout(pending);
          timers.delete(pending);
        }
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
  }

  #events(scenario: StandinScenario, model: string, userText: string, eol: string): string[] {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${
        JSON.stringify({
          id: "chatcmpl-standin",
          object: "chat.completion.chunk",
          created: 0,
          model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        })
      }${eol}${eol}`;
    const head = [`: stand-in keepalive comment${eol}`, chunk({ role: "assistant", content: "" })];
    if (scenario.kind === "malformed") return [...head, `data: {"choices": [{"delta": {"content": "Hel${eol}${eol}`];
    if (scenario.kind === "error_event") {
      return [
        ...head,
        chunk({ content: "Hello" }),
        `data: ${JSON.stringify({ error: { message: "overloaded" } })}\n\n`,
      ];
    }
    const words = OpenAiStandin.answerFor(userText).split(/(?<= )/);
    const body = words.map((w) => chunk({ content: w }));
    if (scenario.kind === "stall") return [...head, body[0]];
    return [...head, ...body, chunk({}, "stop"), `data: [DONE]${eol}${eol}`];
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}
