/**
 * A typed client of the WebSocket protocol (docs/protocol.md), used by the CLI client, the tests and the benches:
 * sends `session.start`, audio, text and control; validates every server event against the shared schemas;
 * records agent frames with their arrival time.
 *
 * @module
 */
import type { ControlAction, SessionStart } from "./client_messages.ts";
import { type ServerEvent, ServerEventSchema, type ServerEventType } from "./server_events.ts";

/** How the client presents its credential. */
export type CredentialCarrier = "header" | "subprotocol" | "query";

/** Connection options. */
export interface ConnectOptions {
  /** API key or signed token. */
  credential?: string;
  carrier?: CredentialCarrier;
  /** Longest wait for the connection to open, in ms. */
  openTimeoutMs?: number;
}

/** One agent frame as received. */
export interface ReceivedFrame {
  pcm: Uint8Array;
  /** `performance.now()` at arrival. */
  atMs: number;
}

/** An event with its arrival time. */
export type ReceivedEvent = ServerEvent & { receivedAtMs: number };

/** A connected protocol client. */
export class VoiceWsClient {
  readonly events: ReceivedEvent[] = [];
  readonly frames: ReceivedFrame[] = [];
  /** Messages from the server that did not match the protocol (should stay empty). */
  readonly invalid: string[] = [];
  /** Resolves with the close code and reason once the socket is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  onEvent?: (event: ReceivedEvent) => void;
  onFrame?: (frame: ReceivedFrame) => void;
  #socket: WebSocket;
  #waiters: Array<() => void> = [];
  #isClosed = false;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.binaryType = "arraybuffer";
    const { promise, resolve } = Promise.withResolvers<{ code: number; reason: string }>();
    this.closed = promise;
    socket.onmessage = (message) => this.#onMessage(message.data);
    socket.onclose = (event) => {
      this.#isClosed = true;
      resolve({ code: event.code, reason: event.reason });
      this.#wake();
    };
  }

  /** Opens a connection to `url` (e.g. `ws://127.0.0.1:8080`). */
  static connect(url: string, options: ConnectOptions = {}): Promise<VoiceWsClient> {
    const target = new URL(url);
    const protocols = ["voice.v1"];
    const headers: Record<string, string> = {};
    const { credential, carrier = "header" } = options;
    if (credential && carrier === "header") headers.authorization = `Bearer ${credential}`;
    if (credential && carrier === "subprotocol") {
      if (!/^[A-Za-z0-9._~-]+$/.test(credential)) {
        throw new Error("this credential has characters a subprotocol cannot carry; use the header or the query");
      }
      protocols.push(`auth.${credential}`);
    }
    if (credential && carrier === "query") target.searchParams.set("token", credential);
    // Deno's WebSocket accepts headers (browsers do not; they use the subprotocol or the query).
    const socket = new WebSocket(target, { protocols, headers } as unknown as string[]);
    const client = new VoiceWsClient(socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error(`no connection to ${url} within ${options.openTimeoutMs ?? 5_000} ms`));
      }, options.openTimeoutMs ?? 5_000);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(client);
      };
      socket.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`WebSocket connection to ${url} failed`));
      };
    });
  }

  /** True while the socket is open. */
  get open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  /** Bytes queued to the server. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** Sends `session.start` and waits for `session.started` (throws on an `error` event or close). */
  async start(options: Omit<SessionStart, "type"> = {}, timeoutMs = 10_000): Promise<ReceivedEvent> {
    this.sendJson({ type: "session.start", ...options });
    const event = await this.waitFor((e) => e.type === "session.started" || e.type === "error", timeoutMs);
    if (event.type === "error") throw new Error(`session refused: ${event.code}: ${event.message}`);
    return event;
  }

  sendAudio(samples: Int16Array): void {
    this.#socket.send(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength).slice());
  }

  /**
   * Streams `samples` (s16 at `sampleRate`) as 20 ms messages in real time on a drift-free schedule (message k
   * leaves at start + k·20 ms). Resolves when everything was sent, or early when the connection closes.
   */
  async streamRealtime(samples: Int16Array, sampleRate: number, frameMs = 20): Promise<void> {
    const step = Math.round((sampleRate * frameMs) / 1000);
    const start = performance.now();
    for (let k = 0, at = 0; at < samples.length; k++, at += step) {
      if (!this.open) return;
      const wait = start + k * frameMs - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      this.sendAudio(samples.subarray(at, Math.min(samples.length, at + step)));
    }
  }

  sendText(text: string): void {
    this.sendJson({ type: "text", text });
  }

  sendControl(action: ControlAction): void {
    this.sendJson({ type: "control", action });
  }

  endSession(): void {
    this.sendJson({ type: "session.end" });
  }

  /** Sends any JSON value (tests send invalid ones on purpose). */
  sendJson(value: unknown): void {
    this.sendRaw(JSON.stringify(value));
  }

  /** Sends a raw text or binary message. */
  sendRaw(data: string | Uint8Array): void {
    if (this.open) this.#socket.send(data as string);
  }

  /** Events of one type received so far. */
  ofType<T extends ServerEventType>(type: T): Array<Extract<ReceivedEvent, { type: T }>> {
    return this.events.filter((e) => e.type === type) as Array<Extract<ReceivedEvent, { type: T }>>;
  }

  /** Waits for the first event (already received or future) that matches; rejects on timeout or close. */
  async waitFor(
    match: ServerEventType | ((event: ReceivedEvent) => boolean),
    timeoutMs = 10_000,
    fromIndex = 0,
  ): Promise<ReceivedEvent> {
    const test = typeof match === "string" ? (e: ReceivedEvent) => e.type === match : match;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(fromIndex).find(test);
      if (found) return found;
      if (this.#isClosed) throw new Error(`connection closed before the expected event (${String(match)})`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms (${String(match)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes the connection and waits for the close to finish. */
  async close(code = 1000): Promise<void> {
    if (this.#socket.readyState < WebSocket.CLOSING) this.#socket.close(code);
    await this.closed;
  }

  #onMessage(data: unknown): void {
    const atMs = performance.now();
    if (data instanceof ArrayBuffer) {
      const frame = { pcm: new Uint8Array(data), atMs };
      this.frames.push(frame);
      this.onFrame?.(frame);
    } else {
      let parsed;
      try {
        parsed = ServerEventSchema.safeParse(JSON.parse(String(data)));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        this.invalid.push(String(data).slice(0, 200));
        return;
      }
      const event = { ...parsed.data, receivedAtMs: atMs } as ReceivedEvent;
      this.events.push(event);
      this.onEvent?.(event);
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
