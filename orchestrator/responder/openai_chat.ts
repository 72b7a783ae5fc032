/**
 * An OpenAI-compatible streaming chat-completions client (`POST {LLM_BASE_URL}/chat/completions` with
 * `stream: true`): works with OpenAI, Ollama, vLLM and the llama.cpp server, which all speak this protocol. Yields
 * each `choices[0].delta.content` as it arrives.
 *
 * @module
 */
import { getLogger } from "../../shared/log/mod.ts";
import { type ConversationMessage, type Responder, ResponderError, type ResponseRequest } from "./contract.ts";
import { parseSse } from "./sse.ts";

const log = getLogger("orchestrator", "responder");

/** Settings of the client. */
export interface OpenAiChatOptions {
  /** e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama), `http://localhost:8000/v1` (vLLM). */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …` when set (local servers usually need none). */
  apiKey?: string;
  systemPrompt?: string;
  /** Longest wait for the response headers and first event, in ms. */
  firstEventTimeoutMs?: number;
  /** Longest silence between two chunks of the stream, in ms. */
  stallTimeoutMs?: number;
  /** Cap on the answer length in tokens (`max_tokens`); unset: the server's default. */
  maxTokens?: number;
}

/** Marker appended to assistant turns the user cut off, so the model knows what was not heard. */
export const INTERRUPTED_MARKER = "… [interrupted by the user]";

/** The chat messages sent for a history (system prompt first). */
export function toChatMessages(
  history: readonly ConversationMessage[],
  systemPrompt?: string,
): Array<{ role: string; content: string }> {
  const messages: Array<{ role: string; content: string }> = [];
  if (systemPrompt) messages.push({ role: "system", content: systemPrompt });
  for (const m of history) {
    messages.push({ role: m.role, content: m.interrupted ? `${m.content}${INTERRUPTED_MARKER}` : m.content });
  }
  return messages;
}

/** The LLM responder. */
export class OpenAiChatResponder implements Responder {
  readonly name = "llm";
  #options: Required<Omit<OpenAiChatOptions, "apiKey" | "systemPrompt" | "maxTokens">> & OpenAiChatOptions;
  #url: string;

  constructor(options: OpenAiChatOptions) {
    if (!options.model) throw new Error("LLM_MODEL is empty: the chat-completions client needs a model name");
    this.#url = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
    this.#options = { firstEventTimeoutMs: 20_000, stallTimeoutMs: 20_000, ...options };
  }

  async *respond(request: ResponseRequest): AsyncIterable<string> {
    const timeout = new AbortController();
    const signal = AbortSignal.any([request.signal, timeout.signal]);
    let timer = setTimeout(() => timeout.abort(), this.#options.firstEventTimeoutMs);
    const rearm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => timeout.abort(), ms);
    };
    try {
      const response = await this.#post(request, signal);
      for await (const event of parseSse(response.body!)) {
        rearm(this.#options.stallTimeoutMs);
        if (event.data === "[DONE]") return;
        const delta = parseDelta(event.data);
        if (delta) yield delta;
      }
    } catch (error) {
      if (error instanceof ResponderError) throw error;
      if (request.signal.aborted) throw new ResponderError("cancelled", "response cancelled", { cause: error });
      if (timeout.signal.aborted) {
        throw new ResponderError("timeout", `the LLM at ${this.#url} stopped sending (timeout)`, { cause: error });
      }
      if (error instanceof SyntaxError) {
        throw new ResponderError("protocol", `malformed event stream: ${error.message}`, { cause: error });
      }
      throw new ResponderError("network", `LLM request failed: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async #post(request: ResponseRequest, signal: AbortSignal): Promise<Response> {
    const body: Record<string, unknown> = {
      model: this.#options.model,
      stream: true,
      messages: toChatMessages(request.history, this.#options.systemPrompt),
    };
    if (this.#options.maxTokens) body.max_tokens = this.#options.maxTokens;
    const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    const response = await fetch(this.#url, { method: "POST", headers, body: JSON.stringify(body), signal });
    if (response.ok && response.body) return response;
    const detail = await errorDetail(response);
    log.warn("LLM answered HTTP {status}: {detail}", { status: response.status, detail });
    if (response.status === 401 || response.status === 403) {
      throw new ResponderError("unauthorized", `the LLM refused the credentials (HTTP ${response.status}): ${detail}`);
    }
    throw new ResponderError("upstream", `the LLM answered HTTP ${response.status}: ${detail}`);
  }
}

/** The text of one chunk, or "" for chunks without content (role headers, finish markers). */
function parseDelta(data: string): string {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw new ResponderError("protocol", `malformed chunk in the event stream: ${data.slice(0, 80)}`);
  }
  if (typeof chunk !== "object" || chunk === null) {
    throw new ResponderError("protocol", `chunk is not a JSON object: ${data.slice(0, 80)}`);
  }
  const { error, choices } = chunk as { error?: { message?: unknown }; choices?: unknown };
  if (error) throw new ResponderError("upstream", `the LLM reported an error: ${String(error.message ?? "unknown")}`);
  if (!Array.isArray(choices)) throw new ResponderError("protocol", "chunk has no choices array");
  const content = (choices[0] as { delta?: { content?: unknown } } | undefined)?.delta?.content;
  return typeof content === "string" ? content : "";
}

async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const message = JSON.parse(text)?.error?.message;
    if (typeof message === "string") return message.slice(0, 200);
  } catch { /* not JSON */ }
  return text.slice(0, 200) || response.statusText;
}
