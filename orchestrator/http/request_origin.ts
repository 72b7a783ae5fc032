/**
 * Who sent a request and which page it came from, as far as the orchestrator can tell behind a reverse proxy
 * (Caddy). `X-Forwarded-*` headers are believed only from a peer in `TRUSTED_PROXIES` (default: loopback), because
 * anyone else could forge them to pick their own rate-limit bucket or fake their origin. Nothing here decides who
 * may connect: the page origin derived from a request only builds URLs; trust comes from `PUBLIC_ORIGIN`.
 *
 * @module
 */
import { type AddressRange, inAnyRange, parseRange } from "../../shared/net/address_ranges.ts";

/** The proxies whose forwarded headers are believed. */
export class TrustedProxies {
  readonly #ranges: AddressRange[];

  /** `ranges`: addresses or CIDR ranges (`TRUSTED_PROXIES`); malformed entries are ignored (config validates). */
  constructor(ranges: readonly string[] = ["127.0.0.1/8", "::1"]) {
    this.#ranges = ranges.map(parseRange).filter((r): r is AddressRange => r !== null);
  }

  /** True when `peer` is one of them. */
  trusts(peer: string): boolean {
    return inAnyRange(peer, this.#ranges);
  }
}

const LOOPBACK_ONLY = new TrustedProxies();

/** How the browser reached the page: scheme, host and port as it sees them. */
export interface PublicOrigin {
  /** `https:` or `http:` */
  protocol: string;
  hostname: string;
  /** Empty for the scheme's default port. */
  port: string;
  /** `https://host:8443` */
  origin: string;
}

/** True for loopback, RFC 1918, link-local and IPv6 unique-local addresses. */
export function isPrivateAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  if (a === "::1" || a.startsWith("fc") || a.startsWith("fd") || a.startsWith("fe80:")) return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  const parts = v4.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return false;
  const [x, y] = parts;
  return x === 127 || x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) ||
    (x === 169 && y === 254);
}

/** The client's address: the peer, or the address the trusted proxy saw (rightmost `X-Forwarded-For` entry). */
export function clientAddress(request: Request, peer: string, trusted: TrustedProxies = LOOPBACK_ONLY): string {
  if (!trusted.trusts(peer)) return peer;
  const forwarded = request.headers.get("x-forwarded-for");
  if (!forwarded) return peer;
  const entries = forwarded.split(",").map((e) => e.trim()).filter((e) => e.length > 0);
  return entries.at(-1) ?? peer;
}

/** The page's origin as the browser sees it (forwarded headers from a trusted proxy win over the request URL). */
export function publicOrigin(request: Request, peer: string, trusted: TrustedProxies = LOOPBACK_ONLY): PublicOrigin {
  const url = new URL(request.url);
  let protocol = url.protocol;
  let host = request.headers.get("host") ?? url.host;
  if (trusted.trusts(peer)) {
    const proto = request.headers.get("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
    if (proto === "https" || proto === "http") protocol = `${proto}:`;
    const forwardedHost = request.headers.get("x-forwarded-host")?.split(",")[0].trim();
    if (forwardedHost) host = forwardedHost;
  }
  let parsed: URL;
  try {
    parsed = new URL(`${protocol}//${host}`);
  } catch {
    parsed = url;
  }
  return { protocol: parsed.protocol, hostname: parsed.hostname, port: parsed.port, origin: parsed.origin };
}

/** The parts of a configured origin (`PUBLIC_ORIGIN`). */
export function originParts(origin: string): PublicOrigin {
  const url = new URL(origin);
  return { protocol: url.protocol, hostname: url.hostname, port: url.port, origin: url.origin };
}

/** True for an `http(s)://` origin on loopback (`localhost`, `127.x`, `[::1]`): a page on the developer's machine. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    return (url.protocol === "http:" || url.protocol === "https:") &&
      (host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host));
  } catch {
    return false;
  }
}

/** The same origin with another scheme and port, e.g. the LiveKit proxy `wss://host:8444` for `https://host:8443`. */
export function siblingUrl(origin: PublicOrigin, protocol: string, port: number | string): string {
  const url = new URL(`${protocol}//${origin.hostname}`);
  url.port = String(port);
  return url.toString().replace(/\/$/, "");
}
