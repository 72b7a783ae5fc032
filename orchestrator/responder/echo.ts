/**
 * The `echo` responder: says back what the user said. Needs no model, so it is the offline default and the
 * responder of the end-to-end tests. It streams word by word so the sentence path downstream is exercised as with
 * an LLM.
 *
 * @module
 */
import { type Responder, ResponderError, type ResponseRequest } from "./contract.ts";

/** Echoes the last user message. */
export class EchoResponder implements Responder {
  readonly name = "echo";

  async *respond(request: ResponseRequest): AsyncIterable<string> {
    const last = request.history.at(-1);
    if (!last || last.role !== "user") return;
    const words = last.content.trim().split(/(\s+)/).filter((w) => w.length > 0);
    for (const word of words) {
      if (request.signal.aborted) throw new ResponderError("cancelled", "response cancelled");
      yield word;
    }
  }
}
