/**
 * The LiveKit transport: one agent per voice room, all in this process. A room exists because the token service
 * handed it to a user (`dispatch`); the agent joins it at once, and the user's session runs through the same
 * acceptor as WebSocket sessions, so limits such as sessions per key hold across both transports.
 *
 * @module
 */
import type { OrchestratorConfig } from "../../../shared/config/orchestrator.ts";
import { getLogger } from "../../../shared/log/mod.ts";
import { CloseCode, DEFAULT_LIMITS, type ErrorCode, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import type { SessionAcceptor, TransportServer } from "../contract.ts";
import { RoomAgent, type RoomInvite } from "./room_agent.ts";
import { loadRtc } from "./rtc.ts";
import type { LiveKitCredentials } from "./tokens.ts";

export type { RoomInvite } from "./room_agent.ts";

const log = getLogger("orchestrator", "livekit");

/** Options of the LiveKit transport. */
export interface LiveKitTransportOptions extends LiveKitCredentials {
  /** Where the agent reaches LiveKit (`LIVEKIT_URL`, e.g. `ws://127.0.0.1:7880`; http(s) is read as ws(s)). */
  url: string;
  acceptor: SessionAcceptor;
  limits?: Partial<ProtocolLimits>;
  /** Called with the code of every error reported to a client (the errors-by-code metric). */
  onError?: (code: ErrorCode) => void;
  /** How long the agent waits in a room for its user, in ms (default 60 s). */
  userJoinTimeoutMs?: number;
  /** How long joining LiveKit may take, in ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Agent audio that may wait on a track before frames are dropped, in ms (default 500). */
  maxQueuedAudioMs?: number;
}

/** Something that can put an agent into a room (the token service calls it). */
export interface RoomDispatcher {
  /** Joins the agent to `invite.ticket.roomName`; rejects with a message naming the problem. */
  dispatch(invite: RoomInvite): Promise<void>;
}

/** A room could not be handed out: the transport is full or closing. */
export class DispatchRefusedError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = "DispatchRefusedError";
  }
}

/** Starts the transport: checks the settings and loads the native LiveKit client. */
export async function startLiveKitTransport(options: LiveKitTransportOptions): Promise<LiveKitTransport> {
  const url = toWebSocketUrl(options.url);
  if (!options.apiKey || !options.apiSecret) {
    throw new Error("the LiveKit transport needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET");
  }
  await loadRtc();
  return new LiveKitTransport({ ...options, url });
}

/**
 * Starts the transport when `LIVEKIT_URL`, `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET` are set; null (browsers use
 * the WebSocket transport) when they are not.
 */
export async function startLiveKitFromConfig(
  config: Pick<OrchestratorConfig, "LIVEKIT_URL" | "LIVEKIT_API_KEY" | "LIVEKIT_API_SECRET">,
  acceptor: SessionAcceptor,
  onError?: (code: ErrorCode) => void,
): Promise<LiveKitTransport | null> {
  if (!config.LIVEKIT_URL || !config.LIVEKIT_API_KEY || !config.LIVEKIT_API_SECRET) {
    log.info("LiveKit is not configured: browsers use the WebSocket transport");
    return null;
  }
  const transport = await startLiveKitTransport({
    url: String(config.LIVEKIT_URL),
    apiKey: config.LIVEKIT_API_KEY,
    apiSecret: config.LIVEKIT_API_SECRET,
    acceptor,
    onError,
  });
  log.info("LiveKit transport ready: agents join rooms at {url}", { url: transport.url });
  return transport;
}

/** `http(s)://` → `ws(s)://`; anything else must already be ws(s). */
export function toWebSocketUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`LIVEKIT_URL=${raw} is not a URL; write it like ws://127.0.0.1:7880`);
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new Error(`LIVEKIT_URL=${raw} must be ws://, wss://, http:// or https://`);
  }
  return url.toString().replace(/\/$/, "");
}

/** The running transport. */
export class LiveKitTransport implements TransportServer, RoomDispatcher {
  readonly name = "livekit";
  readonly limits: ProtocolLimits;
  #options: LiveKitTransportOptions;
  #agents = new Set<RoomAgent>();
  #joining = 0;
  #nextId = 1;
  #closing = false;

  constructor(options: LiveKitTransportOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  get url(): string {
    return this.#options.url;
  }

  /** Rooms the agent is in (waiting for the user or serving one). */
  connectionCount(): number {
    return this.#agents.size;
  }

  /** Rooms with a running session. */
  sessionCount(): number {
    let n = 0;
    for (const agent of this.#agents) if (agent.hasSession) n++;
    return n;
  }

  async dispatch(invite: RoomInvite): Promise<void> {
    if (this.#closing) throw new DispatchRefusedError("the server is shutting down", 503);
    if (this.#agents.size + this.#joining >= this.limits.maxConnections) {
      throw new DispatchRefusedError("the server is at its connection limit", 503);
    }
    const options = this.#options;
    this.#joining++;
    try {
      const agent = await RoomAgent.join({
        url: options.url,
        credentials: options,
        invite,
        acceptor: options.acceptor,
        onError: options.onError,
        limits: this.limits,
        connectionId: `lk-${this.#nextId++}`,
        userJoinTimeoutMs: options.userJoinTimeoutMs ?? 60_000,
        connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
        maxQueuedAudioMs: options.maxQueuedAudioMs ?? 500,
        onGone: (gone) => this.#agents.delete(gone),
      });
      if (this.#closing) {
        // Shutdown began while this agent was joining: it leaves again at once.
        agent.leave({ code: CloseCode.goingAway, reason: "server shutdown" });
        await agent.left;
        throw new DispatchRefusedError("the server is shutting down", 503);
      }
      this.#agents.add(agent);
      log.info("agent {id} joined {room}", { id: agent.connectionId, room: invite.ticket.roomName });
    } finally {
      this.#joining--;
    }
  }

  /** Ends every session with `server_shutdown`, tells each user (1001) and leaves every room. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#agents].map((agent) => agent.shutdown()));
  }

  /** A readiness check for `/health`: LiveKit answers on its HTTP port (not required: WebSocket still works). */
  readinessCheck(
    timeoutMs = 1_000,
  ): { name: string; required: boolean; check(): Promise<{ ok: boolean; detail?: string }> } {
    const httpUrl = this.url.replace(/^ws/, "http");
    return {
      name: "livekit",
      required: false,
      async check() {
        try {
          const response = await fetch(httpUrl, { signal: AbortSignal.timeout(timeoutMs) });
          await response.body?.cancel();
          return response.ok ? { ok: true } : { ok: false, detail: `LiveKit answered ${response.status}` };
        } catch (error) {
          return { ok: false, detail: `LiveKit at ${httpUrl} unreachable: ${(error as Error).message}` };
        }
      },
    };
  }
}
