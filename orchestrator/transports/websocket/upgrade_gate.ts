/**
 * What an upgrade request must pass before the server allocates a WebSocket for it, each refusal a plain HTTP answer
 * (not an upgraded socket that is closed later): a well-formed handshake (400 without `Sec-WebSocket-Key`, 426 for a
 * version other than 13), an allowed `Origin` (403), room for one more connection from this address (429) and on the
 * server (503), and a valid credential (401). Unauthenticated clients therefore never get to send a frame.
 *
 * @module
 */
import { audit } from "../../../shared/log/audit.ts";
import { clientAddress, isLoopbackOrigin, type TrustedProxies } from "../../http/request_origin.ts";

/** Settings of the gate. */
export interface UpgradeGateOptions {
  /** Page origins allowed to open sessions (`PUBLIC_ORIGIN` and `WEB_ALLOWED_ORIGINS`), lower case. */
  allowedOrigins: ReadonlySet<string>;
  /** Development mode (no keys): pages on loopback origins are allowed too. */
  allowLoopbackOrigins: boolean;
  trustedProxies: TrustedProxies;
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** The gate's verdict: the client address to count the connection under, or the HTTP answer. */
export type GateVerdict = { ok: true; address: string } | { ok: false; response: Response };

const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

function refuse(status: number, error: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, message }, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** Open connections per client address, for the per-address cap. */
export class AddressCounts {
  readonly #counts = new Map<string, number>();
  #total = 0;

  /** Connections open now. */
  get total(): number {
    return this.#total;
  }

  /** Connections open now from `address`. */
  of(address: string): number {
    return this.#counts.get(address) ?? 0;
  }

  add(address: string): void {
    this.#counts.set(address, this.of(address) + 1);
    this.#total++;
  }

  remove(address: string): void {
    const left = this.of(address) - 1;
    if (left > 0) this.#counts.set(address, left);
    else this.#counts.delete(address);
    this.#total = Math.max(0, this.#total - 1);
  }
}

/** Checks the handshake, origin and capacity of one upgrade request (authentication comes after, in the caller). */
export function checkUpgrade(
  request: Request,
  peer: string,
  counts: AddressCounts,
  options: UpgradeGateOptions,
): GateVerdict {
  const address = clientAddress(request, peer, options.trustedProxies);
  const deny = (status: number, error: string, message: string, headers?: Record<string, string>): GateVerdict => {
    audit({ action: "connection.refused", outcome: "denied", client: address, reason: error, via: "ws" });
    return { ok: false, response: refuse(status, error, message, headers) };
  };
  const key = request.headers.get("sec-websocket-key");
  if (!key || !KEY_PATTERN.test(key.trim())) {
    return deny(400, "bad_handshake", "a WebSocket upgrade needs a Sec-WebSocket-Key of 16 base64-encoded bytes");
  }
  if (request.headers.get("sec-websocket-version")?.trim() !== "13") {
    return deny(426, "bad_handshake", "only WebSocket version 13 is spoken here", { "sec-websocket-version": "13" });
  }
  const origin = request.headers.get("origin")?.replace(/\/$/, "").toLowerCase();
  if (
    origin && !options.allowedOrigins.has(origin) && !(options.allowLoopbackOrigins && isLoopbackOrigin(origin))
  ) {
    return deny(403, "forbidden_origin", `pages from ${origin.slice(0, 100)} may not open sessions here`);
  }
  if (counts.of(address) >= options.maxConnectionsPerAddress) {
    return deny(
      429,
      "too_many_connections",
      `this address holds ${options.maxConnectionsPerAddress} connections (the maximum)`,
      { "retry-after": "5" },
    );
  }
  if (counts.total >= options.maxConnections) {
    return deny(503, "server_full", "the server is at its connection limit", { "retry-after": "5" });
  }
  return { ok: true, address };
}
