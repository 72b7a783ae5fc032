/**
 * A Server-Sent Events parser over a byte stream, robust to any chunking: a chunk may end inside a UTF-8 sequence,
 * inside a line, or between `\r` and `\n`. Follows the WHATWG event-stream rules for `data`, `event` and comments.
 *
 * @module
 */

/** One dispatched event. */
export interface SseEvent {
  /** `message` unless the stream named it. */
  event: string;
  /** The `data` lines joined with `\n`. */
  data: string;
}

/** Longest line accepted, in characters: a stream that never ends a line is not an event stream. */
export const MAX_SSE_LINE_CHARS = 1 << 20;

/** Parses `body` into events; throws a `SyntaxError` naming the problem for an over-long line. */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let event = "";
  let pendingCr = false;
  const takeLine = (line: string): SseEvent | undefined => {
    if (line === "") {
      if (data.length === 0) {
        event = "";
        return undefined;
      }
      const dispatched = { event: event || "message", data: data.join("\n") };
      data = [];
      event = "";
      return dispatched;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    return undefined;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    // A "\r" at the end of the previous chunk already ended a line; a "\n" right after it belongs to it.
    if (pendingCr && buffer.startsWith("\n")) buffer = buffer.slice(1);
    pendingCr = false;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      const dispatched = takeLine(buffer.slice(start, i));
      if (c === "\r") {
        if (i + 1 < buffer.length) {
          if (buffer[i + 1] === "\n") i++;
        } else pendingCr = true;
      }
      start = i + 1;
      if (dispatched) yield dispatched;
    }
    buffer = buffer.slice(start);
    if (buffer.length > MAX_SSE_LINE_CHARS) {
      throw new SyntaxError(`event-stream line longer than ${MAX_SSE_LINE_CHARS} characters`);
    }
  }
  // The stream ended: an unterminated final event is discarded, as the spec requires.
}
