/// <reference lib="dom" />
/**
 * Starts and stops a conversation: asks the server for connection details, joins LiveKit when it is offered and
 * reachable, falls back to the WebSocket transport when it is not (or when the agent never greets), and feeds every
 * event to the {@linkcode Conversation}. Errors become one readable sentence for the page.
 *
 * @module
 */
import { AudioGraph, LevelTimeline } from "./audio_graph.ts";
import { Conversation } from "./conversation.ts";
import type { LinkCallbacks, LinkContext, LinkState, VoiceLink } from "./link.ts";
import { withTimeout } from "./link.ts";
import { connectLiveKit } from "./livekit_link.ts";
import { rejoinDelays } from "./rejoin_backoff.ts";
import { type CloseInfo, type ConnectionDetails, describeClose, type ServerEvent } from "./protocol.ts";
import { connectWebSocket, type StartOptions } from "./websocket_link.ts";

/** Which transport to use. */
export type TransportChoice = "auto" | "livekit" | "websocket";

/** What the page shows about the connection. */
export type ClientStatus = "idle" | "connecting" | "live" | "reconnecting" | "ending";

/** How long joining, and then being greeted by the agent, may take before falling back. */
const CONNECT_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
/**
 * Close codes that mean the server side went away (its host died, it restarted, the agent left) rather than that this
 * session was refused: the page asks for a new session, which the load balancer places on a live server.
 */
const SERVER_LOST_CODES = new Set([1001, 1006, 1011, 1012, 1014]);

/** Reports to the page. */
export interface ClientListener {
  onStatus(status: ClientStatus, transport: VoiceLink["kind"] | null): void;
  onError(message: string): void;
  onNotice(message: string): void;
}

/** One page's voice client. */
export class VoiceClient {
  readonly conversation = new Conversation();
  readonly micLevels = new LevelTimeline();
  readonly agentLevels = new LevelTimeline();
  /** Every event received, with its page time (read by the end-to-end tests). */
  readonly events: Array<ServerEvent & { atMs: number }> = [];
  status: ClientStatus = "idle";
  link: VoiceLink | null = null;
  #graph: AudioGraph | null = null;
  #listener: ClientListener;
  #greeting: { resolve: () => void; reject: (error: Error) => void } | null = null;
  /** A fatal error event received while connecting. */
  #refusal: string | null = null;
  /** What the running conversation was started with (a rejoin starts the same way). */
  #options: { deviceId: string; transport: TransportChoice; session?: StartOptions } | null = null;
  #rejoining = false;

  constructor(listener: ClientListener) {
    this.#listener = listener;
    this.agentLevels.onLevel = (rms) => {
      if (rms > 0.005) this.conversation.agentHeard(performance.now());
    };
  }

  /** Starts a conversation; resolves once the session runs (or failed, with the error reported). */
  async start(options: { deviceId: string; transport: TransportChoice; session?: StartOptions }): Promise<void> {
    if (this.status !== "idle") return;
    this.#setStatus("connecting");
    this.conversation.sessionId = "";
    this.#refusal = null;
    this.#options = options;
    try {
      this.#graph ??= new AudioGraph();
      await this.#graph.resume();
      const details = await fetchDetails(options.session ?? {});
      this.link = await this.#connect(details, options);
      this.#setStatus("live");
    } catch (error) {
      this.#listener.onError(readable(error));
      await this.#teardown();
    }
  }

  /** Ends the conversation politely (`session.end`), then leaves. */
  async stop(): Promise<void> {
    if (this.status === "idle" || this.status === "ending") return;
    this.#setStatus("ending");
    this.link?.send({ type: "session.end" });
    await new Promise((r) => setTimeout(r, 150));
    await this.#teardown();
  }

  /** Sends a control action (interrupt, pause, resume, stop). */
  control(action: "interrupt" | "pause" | "resume" | "stop"): void {
    this.link?.send({ type: "control", action });
  }

  async switchMicrophone(deviceId: string): Promise<void> {
    try {
      await this.link?.switchMicrophone(deviceId);
    } catch (error) {
      this.#listener.onError(`Could not switch the microphone: ${readable(error)}`);
    }
  }

  async #connect(
    details: ConnectionDetails,
    options: { deviceId: string; transport: TransportChoice; session?: StartOptions },
  ): Promise<VoiceLink> {
    const wantLiveKit = options.transport !== "websocket";
    if (wantLiveKit && details.transport === "livekit") {
      let link: VoiceLink | null = null;
      try {
        link = await connectLiveKit(details, this.#context(options.deviceId), CONNECT_TIMEOUT_MS);
        await this.#awaitGreeting();
        return link;
      } catch (error) {
        await link?.close();
        if (options.transport === "livekit" || error instanceof ServerRefusal) throw error;
        this.#listener.onNotice(`LiveKit is unreachable (${readable(error)}); using the WebSocket connection instead.`);
      }
    } else if (options.transport === "livekit") {
      throw new Error(details.reason ?? "LiveKit is not available on this server");
    } else if (details.reason && options.transport === "auto") {
      this.#listener.onNotice(`${details.reason}; using the WebSocket connection.`);
    }
    const link = await connectWebSocket(
      details,
      this.#context(options.deviceId),
      options.session ?? {},
      CONNECT_TIMEOUT_MS,
    );
    await this.#awaitGreeting().catch(async (error) => {
      await link.close();
      throw error;
    });
    return link;
  }

  #awaitGreeting(): Promise<void> {
    if (this.#refusal) return Promise.reject(new ServerRefusal(this.#refusal));
    if (this.conversation.sessionId) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve, reject) => this.#greeting = { resolve, reject }),
      GREETING_TIMEOUT_MS,
      "the voice agent did not answer",
    ).finally(() => this.#greeting = null);
  }

  #context(deviceId: string): LinkContext {
    const callbacks: LinkCallbacks = {
      onEvent: (event) => this.#onEvent(event),
      onState: (state: LinkState) => {
        if (state === "reconnecting") this.#setStatus("reconnecting");
        else if (state === "connected" && this.status === "reconnecting") this.#setStatus("live");
      },
      onClosed: (info: CloseInfo) => this.#onClosed(info),
    };
    return { graph: this.#graph!, micLevels: this.micLevels, agentLevels: this.agentLevels, deviceId, callbacks };
  }

  #onEvent(event: ServerEvent): void {
    this.events.push({ ...event, atMs: performance.now() });
    if (event.type === "session.started") this.#greeting?.resolve();
    if (event.type === "error") {
      // A refusal while connecting fails the start (which reports it); later errors are shown as they come.
      if (this.status === "connecting" && event.fatal) {
        this.#refusal = event.message;
        this.#greeting?.reject(new ServerRefusal(event.message));
      } else this.#listener.onError(event.message);
    }
    if (event.type === "warning") {
      this.#listener.onError(`The agent speaks with ${event.served}, not ${event.requested}: ${event.reason}`);
    }
    this.conversation.apply(event);
    if (event.type === "speech.stopped" && Number.isFinite(this.micLevels.lastAudibleAtMs)) {
      // The user's speech ended when the microphone last heard it, not when the server's decision arrived.
      this.conversation.pendingSpeechEnd = {
        turn: event.turn,
        atMs: Math.min(performance.now(), this.micLevels.lastAudibleAtMs),
      };
    }
  }

  #onClosed(info: CloseInfo): void {
    // A link that closes while another is being tried (the fallback, a rejoin) is not the end of the conversation.
    if (this.status === "connecting" || this.status === "idle" || this.#rejoining) return;
    if (this.status !== "ending" && SERVER_LOST_CODES.has(info.code) && this.#options) {
      void this.#rejoin(info);
      return;
    }
    if (this.status !== "ending" && info.code !== 1000) this.#listener.onError(describeClose(info));
    void this.#teardown();
  }

  /**
   * The server side went away mid-conversation: get a new session the way the first one was got (connection details,
   * through the load balancer, to a live server), and say that it is a new one.
   */
  async #rejoin(lost: CloseInfo): Promise<void> {
    this.#rejoining = true;
    this.#setStatus("reconnecting");
    const old = this.link;
    this.link = null;
    await old?.close().catch(() => {});
    const previous = this.conversation.sessionId;
    let lastError: unknown = null;
    try {
      for (const delay of rejoinDelays()) {
        await new Promise((r) => setTimeout(r, delay));
        if (this.status !== "reconnecting") return; // stopped meanwhile
        this.conversation.sessionId = "";
        this.#refusal = null;
        try {
          const details = await fetchDetails(this.#options!.session ?? {});
          this.link = await this.#connect(details, this.#options!);
          this.#setStatus("live");
          this.#listener.onNotice(
            `${describeClose(lost)} Reconnected: this is a new session (${this.conversation.sessionId.slice(0, 8)}` +
              `${previous ? `, was ${previous.slice(0, 8)}` : ""}); the agent does not remember what was said before.`,
          );
          return;
        } catch (error) {
          lastError = error;
          if (error instanceof ServerRefusal) break;
        }
      }
      this.#listener.onError(`${describeClose(lost)} Reconnecting failed: ${readable(lastError)}`);
      await this.#teardown();
    } finally {
      this.#rejoining = false;
    }
  }

  async #teardown(): Promise<void> {
    const link = this.link;
    this.link = null;
    this.#setStatus("idle");
    await link?.close();
    this.conversation.agentState = "idle";
    this.conversation.onChange?.();
  }

  #setStatus(status: ClientStatus): void {
    this.status = status;
    this.#listener.onStatus(status, this.link?.kind ?? null);
  }
}

/** The server refused the session (limits, bad options): another transport would be refused too. */
class ServerRefusal extends Error {}

async function fetchDetails(session: StartOptions): Promise<ConnectionDetails> {
  let response: Response;
  // No options, no body: an edge whose retry cannot resend a body (Caddy < 2.11.2) can then move the request to a
  // live server when the first one it picked is dead.
  const options = JSON.stringify(session);
  const request = options === "{}" ? undefined : options;
  try {
    response = await fetch("/api/connection-details", {
      method: "POST",
      headers: request ? { "content-type": "application/json" } : {},
      body: request,
    });
  } catch {
    throw new Error("The voice server cannot be reached. Check your connection and try again.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message ?? `The voice server answered ${response.status}.`);
  return body as ConnectionDetails;
}

function readable(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/Permission denied|NotAllowedError/i.test(text)) {
    return "Microphone access was denied. Allow it in the browser and try again.";
  }
  if (/NotFoundError|Requested device not found/i.test(text)) return "No microphone was found.";
  return text;
}
