/**
 * Who sent a request and which page it came from, as far as the orchestrator can tell behind a reverse proxy
 * (Caddy). `X-Forwarded-*` headers are believed only from a proxy on loopback or a private network (the dev stack's
 * Caddy, or compose's), because anyone else could forge them to dodge the rate limit or fake their origin.
 *
 * @module
 */

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
export function clientAddress(request: Request, peer: string): string {
  if (!isPrivateAddress(peer)) return peer;
  const forwarded = request.headers.get("x-forwarded-for");
  if (!forwarded) return peer;
  const entries = forwarded.split(",").map((e) => e.trim()).filter((e) => e.length > 0);
  return entries.at(-1) ?? peer;
}

/** The page's origin as the browser sees it (forwarded headers from a trusted proxy win over the request URL). */
export function publicOrigin(request: Request, peer: string): PublicOrigin {
  const url = new URL(request.url);
  let protocol = url.protocol;
  let host = request.headers.get("host") ?? url.host;
  if (isPrivateAddress(peer)) {
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

/** The same origin with another scheme and port, e.g. the LiveKit proxy `wss://host:8444` for `https://host:8443`. */
export function siblingUrl(origin: PublicOrigin, protocol: string, port: number | string): string {
  const url = new URL(`${protocol}//${origin.hostname}`);
  url.port = String(port);
  return url.toString().replace(/\/$/, "");
}
