/**
 * `POST /api/connection-details`: hands a browser a LiveKit room of its own. The reply is
 * `{transport, serverUrl, roomName, participantName, participantToken, expiresAt, websocket}`: a user token for one
 * fresh room (15 min, join that room only, publish microphone and data), with the agent already dispatched into the
 * room, plus the WebSocket fallback (URL and a short-lived orchestrator token when a token secret is configured).
 * When LiveKit is not configured or cannot take the room, `transport` is `"websocket"` and `reason` says why.
 *
 * Abuse protection, in order: a per-client-address rate limit (429 + Retry-After; the address comes from
 * `X-Forwarded-For` only behind a trusted proxy); a request whose `Origin` is not configured (`PUBLIC_ORIGIN`,
 * `WEB_ALLOWED_ORIGINS`, or a loopback page in development mode) is refused (403); then an API key or token
 * (`X-API-Key` or `Authorization: Bearer`) is required, unless the deployment made its web page public
 * (`WEB_PUBLIC=true`: a request from `PUBLIC_ORIGIN` gets the principal `web:<address>`) or runs in development mode.
 * A page that is not public may instead present the page-load cookie the orchestrator set when it served the page
 * (`page_cookie.ts`; principal `page:<address>`); a request without key or cookie (a script) gets 401.
 * The request's own `Host` never grants anything: a script can send any Host and Origin it likes.
 * The optional JSON body holds session options (`model`, `voice`, `language`, `responder`, `options`), validated with
 * the protocol's own `session.start` schema.
 *
 * @module
 */
import { getLogger } from "../../shared/log/mod.ts";
import { SessionStartSchema } from "../../shared/protocol/client_messages.ts";
import type { ConnectionDetails } from "../../shared/protocol/connection_details.ts";
import { describeZodError } from "../../shared/protocol/parse.ts";
import { type Authenticator, mintToken } from "../transports/auth.ts";
import { DispatchRefusedError, type RoomDispatcher } from "../transports/livekit/transport.ts";
import {
  type LiveKitCredentials,
  mintUserToken,
  newRoomTicket,
  USER_TOKEN_TTL_SECONDS,
} from "../transports/livekit/tokens.ts";
import { RateLimiter, type RateLimitSettings } from "./rate_limit.ts";
import {
  clientAddress,
  isLoopbackOrigin,
  isPrivateAddress,
  originParts,
  type PublicOrigin,
  publicOrigin,
  siblingUrl,
  TrustedProxies,
} from "./request_origin.ts";
import { audit } from "../../shared/log/audit.ts";
import { checkPageCookie } from "./page_cookie.ts";

const log = getLogger("orchestrator", "http");

/** Path of the endpoint. */
export const CONNECTION_DETAILS_PATH = "/api/connection-details";
/** Port of the TLS proxy in front of LiveKit, relative to an https page (see the Caddyfile). */
export const DEFAULT_LIVEKIT_PUBLIC_PORT = 8444;
/** Path the WebSocket fallback connects to on the page's origin. */
export const WEBSOCKET_PATH = "/ws";
/** Largest request body accepted, in bytes. */
const MAX_BODY_BYTES = 4_096;

/** Options of the endpoint. */
export interface ConnectionDetailsOptions {
  /** The LiveKit side; absent when LiveKit is not configured (the reply then offers WebSocket only). */
  livekit?: {
    credentials: LiveKitCredentials;
    /** `LIVEKIT_URL`: where the agent connects; offered as is to pages served over plain http. */
    internalUrl: string;
    /** `LIVEKIT_PUBLIC_URL`: what browsers connect to; unset → derived from the page (https → wss://host:8444). */
    publicUrl?: string;
    publicPort?: number;
    dispatcher: RoomDispatcher;
  };
  authenticator: Authenticator;
  /** `ORCHESTRATOR_TOKEN_SECRET`: mints the WebSocket fallback token for browsers that hold no API key. */
  tokenSecret?: string;
  /** `ORCHESTRATOR_TOKEN_SECRET_ACCEPT`: page cookies signed with it are accepted too (rotation). */
  acceptedTokenSecret?: string;
  /** `PUBLIC_ORIGIN`: the page's own origin(s) as browsers see them; the first one builds the reply's URLs. */
  publicOrigins?: readonly string[];
  /** Origins allowed besides the page's own (`WEB_ALLOWED_ORIGINS`), e.g. `https://app.example.com`. */
  allowedOrigins?: readonly string[];
  /** `WEB_PUBLIC`: requests from `publicOrigins` need no key (the page is open to the world by choice). */
  webPublic?: boolean;
  /** Peers whose `X-Forwarded-*` headers are believed (`TRUSTED_PROXIES`); default loopback. */
  trustedProxies?: TrustedProxies;
  /** Default 10 per minute with a burst of 5 per client address. */
  rateLimit?: RateLimitSettings;
  ttlSeconds?: number;
}

/** The connection info of a request, as `Deno.serve` gives it. */
export interface ClientInfo {
  remoteAddr: { hostname: string };
}

/** Creates the endpoint's handler. */
export function createConnectionDetailsHandler(
  options: ConnectionDetailsOptions,
): (request: Request, info: ClientInfo) => Promise<Response> {
  const limiter = new RateLimiter(options.rateLimit ?? { perMinute: 10, burst: 5 });
  const normalize = (o: string) => o.replace(/\/$/, "").toLowerCase();
  const pageOrigins = new Set((options.publicOrigins ?? []).map(normalize));
  const allowed = new Set([...pageOrigins, ...(options.allowedOrigins ?? []).map(normalize)]);
  const trusted = options.trustedProxies ?? new TrustedProxies();
  const configuredPage = options.publicOrigins?.length ? originParts(options.publicOrigins[0]) : null;
  const ttlSeconds = options.ttlSeconds ?? USER_TOKEN_TTL_SECONDS;

  return async (request, info) => {
    const peer = info.remoteAddr.hostname;
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: { allow: "POST, OPTIONS" } });
    if (request.method !== "POST") return problem(405, "method_not_allowed", "use POST", { allow: "POST, OPTIONS" });
    const client = clientAddress(request, peer, trusted);
    const verdict = limiter.take(client);
    if (!verdict.allowed) {
      return problem(429, "rate_limited", `too many requests; try again in ${verdict.retryAfterSeconds} s`, {
        "retry-after": String(verdict.retryAfterSeconds),
      });
    }
    // URLs in the reply: the configured page origin; without one (development), the request's as a proxy saw it.
    const page = configuredPage ?? publicOrigin(request, peer, trusted);
    const principal = await authorize(request, client);
    if (typeof principal !== "string") return principal;
    const body = await readStart(request);
    if (body instanceof Response) return body;

    const wsUrl = `${page.protocol === "https:" ? "wss:" : "ws:"}//${page.origin.split("//")[1]}${WEBSOCKET_PATH}`;
    const websocket = {
      url: wsUrl,
      token: options.tokenSecret ? await mintToken(options.tokenSecret, principal, Math.min(ttlSeconds, 3600)) : null,
    };
    if (websocket.token) {
      audit({ action: "token.minted", outcome: "ok", principal, client, target: "websocket", via: "http" });
    }
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
    const livekit = options.livekit;
    if (!livekit) {
      return reply({ transport: "websocket", reason: "LiveKit is not configured on this server", websocket });
    }
    const ticket = newRoomTicket();
    try {
      await livekit.dispatcher.dispatch({ ticket, principal, start: { type: "session.start", ...body } });
    } catch (error) {
      const status = error instanceof DispatchRefusedError ? error.status : 502;
      log.warn("no agent for a LiveKit room ({status}): {error}", { status, error: (error as Error).message });
      if (status === 503) {
        return problem(503, "server_full", "the server is full; try again soon", { "retry-after": "5" });
      }
      // The detail (internal host names, upstream errors) stays in the log.
      return reply({ transport: "websocket", reason: "LiveKit is unreachable right now", websocket });
    }
    audit({ action: "token.minted", outcome: "ok", principal, client, target: "livekit", via: "http" });
    return reply({
      transport: "livekit",
      serverUrl: livekitUrlFor(livekit, page),
      roomName: ticket.roomName,
      participantName: ticket.userIdentity,
      participantToken: await mintUserToken(livekit.credentials, ticket, ttlSeconds),
      expiresAt,
      websocket,
    });
  };

  /** Returns the principal, or the refusal. */
  async function authorize(request: Request, client: string): Promise<string | Response> {
    const refuse = (status: number, code: string, reason: string, message: string) => {
      audit({ action: "auth", outcome: "denied", client, reason, via: "http" });
      return problem(status, code, message);
    };
    // A key works from anywhere: a browser cannot send one cross-site without CORS, which this endpoint never grants.
    const credential = credentialOf(request);
    if (credential) {
      const verdict = await options.authenticator.verify(credential);
      if (!verdict.ok) return refuse(401, "unauthorized", "bad_credential", verdict.message);
      audit({ action: "auth", outcome: "ok", principal: verdict.principal, client, via: "http" });
      return verdict.principal;
    }
    const origin = request.headers.get("origin")?.replace(/\/$/, "").toLowerCase();
    // Development mode (no keys) accepts anyone, as the WebSocket transport does, but only pages on loopback.
    const anonymous = await options.authenticator.verify("");
    if (origin && !allowed.has(origin) && !(anonymous.ok && isLoopbackOrigin(origin))) {
      // A page from elsewhere (CSRF from a real browser): refused.
      return refuse(
        403,
        "forbidden_origin",
        "forbidden_origin",
        `requests from ${origin.slice(0, 100)} are not allowed`,
      );
    }
    if (anonymous.ok) return `${anonymous.principal}:${client}`;
    if (options.webPublic && origin && pageOrigins.has(origin)) {
      audit({ action: "auth", outcome: "ok", principal: `web:${client}`, client, reason: "web_public", via: "http" });
      return `web:${client}`;
    }
    // Not public: the cookie set with the page stands for the page load (see page_cookie.ts).
    if (options.tokenSecret && !options.webPublic) {
      const secrets = [options.tokenSecret, options.acceptedTokenSecret].filter((s): s is string => Boolean(s));
      const problemWithCookie = await checkPageCookie(request, secrets);
      if (problemWithCookie === null) {
        audit({
          action: "auth",
          outcome: "ok",
          principal: `page:${client}`,
          client,
          reason: "page_cookie",
          via: "http",
        });
        return `page:${client}`;
      }
      if (problemWithCookie !== "missing") {
        return refuse(
          401,
          "unauthorized",
          `page_cookie_${problemWithCookie}`,
          problemWithCookie === "expired"
            ? "the page was loaded too long ago; reload it"
            : "the page cookie is not valid here; reload the page",
        );
      }
      return refuse(
        401,
        "unauthorized",
        "no_credential",
        "send an API key (X-API-Key or Authorization: Bearer), or load this server's page first (its cookie)",
      );
    }
    return refuse(401, "unauthorized", "no_credential", "send an API key (X-API-Key or Authorization: Bearer)");
  }
}

/** The LiveKit URL for a browser on `page`. */
function livekitUrlFor(livekit: NonNullable<ConnectionDetailsOptions["livekit"]>, page: PublicOrigin): string {
  if (livekit.publicUrl) return livekit.publicUrl;
  if (page.protocol === "https:") return siblingUrl(page, "wss:", livekit.publicPort ?? DEFAULT_LIVEKIT_PUBLIC_PORT);
  // Plain http: the page talks to the orchestrator directly, so LiveKit is reached directly too; a loopback
  // address is rewritten to the page's host name (localhost and 127.0.0.1 are not the same origin to a browser).
  const url = new URL(livekit.internalUrl.replace(/^http/, "ws"));
  if (isPrivateAddress(url.hostname) || url.hostname === "0.0.0.0" || url.hostname === "localhost") {
    url.hostname = page.hostname;
  }
  return url.toString().replace(/\/$/, "");
}

function credentialOf(request: Request): string {
  const authorization = request.headers.get("authorization");
  if (authorization?.toLowerCase().startsWith("bearer ")) return authorization.slice(7).trim();
  return request.headers.get("x-api-key")?.trim() ?? "";
}

const StartOptionsSchema = SessionStartSchema.omit({ type: true, audio: true });

/** Reads the optional JSON body of session options. */
async function readStart(request: Request): Promise<Record<string, unknown> | Response> {
  const text = await readLimited(request);
  if (text === null) return problem(413, "body_too_large", `the body exceeds ${MAX_BODY_BYTES} bytes`);
  if (!text.trim()) return {};
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    return problem(415, "unsupported_media_type", "send the session options as application/json");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return problem(400, "bad_json", `the body is not valid JSON (${(error as Error).message})`);
  }
  const parsed = StartOptionsSchema.safeParse(value);
  if (!parsed.success) return problem(400, "bad_request", `invalid session options: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

async function readLimited(request: Request): Promise<string | null> {
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

function reply(details: ConnectionDetails): Response {
  return json(200, details);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

function problem(status: number, error: string, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error, message }, headers);
}
