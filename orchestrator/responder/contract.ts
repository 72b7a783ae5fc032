/**
 * The responder contract: a conversation in, a stream of text out, cancellable. Implemented by `echo` (offline
 * default) and by an OpenAI-compatible streaming chat-completions client; every implementation passes the shared
 * suite in `tests/orchestrator/responder/contract_suite.ts`.
 *
 * @module
 */

/** One message of the conversation, oldest first. */
export interface ConversationMessage {
  role: "user" | "assistant";
  /** For an assistant turn: only the text the user actually heard. */
  content: string;
  /** True for an assistant turn the user cut off. */
  interrupted?: boolean;
}

/** One request for a response. */
export interface ResponseRequest {
  /** The conversation so far; the last message is the user's turn to answer. */
  history: readonly ConversationMessage[];
  /** The user's language, e.g. `en`. */
  language?: string;
  /** Aborting it stops the stream promptly (the iterator ends or throws {@linkcode ResponderError} `cancelled`). */
  signal: AbortSignal;
}

/** Produces the agent's answer. One instance serves every session; it keeps no per-session state. */
export interface Responder {
  /** `echo`, `llm`, … */
  readonly name: string;
  /** Streams the answer as text deltas, as soon as they exist. */
  respond(request: ResponseRequest): AsyncIterable<string>;
}

/** Why a response failed. */
export type ResponderErrorKind =
  | "unauthorized"
  | "upstream"
  | "protocol"
  | "timeout"
  | "cancelled"
  | "network"
  /** The credential's turn budget (`LLM_TURNS_PER_MINUTE`) is used up. */
  | "rate_limited";

/** A failed response, with a message that names the problem. */
export class ResponderError extends Error {
  constructor(readonly kind: ResponderErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ResponderError";
  }
}
