/**
 * The page-load cookie: when the orchestrator serves the web page and the page is not public (`WEB_PUBLIC` false), the
 * HTML response sets a short-lived signed cookie, and `POST /api/connection-details` accepts it instead of an API key.
 * A script that posts without loading the page first has no cookie and gets 401.
 *
 * Value: `p1.<expiry unix s>.<random nonce>.<HMAC-SHA256>`; the HMAC is keyed with `ORCHESTRATOR_TOKEN_SECRET` (or the
 * rotation secret `ORCHESTRATOR_TOKEN_SECRET_ACCEPT` when checking) over a string with its own prefix, so a WebSocket
 * token is never a valid cookie or the reverse. Several orchestrators with the same secret accept each other's cookies.
 * Attributes: `HttpOnly` (page scripts cannot read it), `SameSite=Strict` (no other site's page can send it),
 * `Path=/api/` and `Secure` when the page's origin is https.
 *
 * @module
 */

/** The cookie's name. */
export const PAGE_COOKIE_NAME = "voicechat_page";
/** How long a page load may wait before asking for a session, in seconds. */
export const PAGE_COOKIE_TTL_SECONDS = 600;
/** What the HMAC covers before the value's own fields (domain separation from WebSocket tokens). */
const SIGNED_PREFIX = "voicechat-page-cookie.p1.";

const encoder = new TextEncoder();

/** Returns the `Set-Cookie` header value for a page served now. */
export async function mintPageCookie(
  secret: string,
  options: { secure: boolean; ttlSeconds?: number; nowMs?: number },
): Promise<string> {
  const ttl = options.ttlSeconds ?? PAGE_COOKIE_TTL_SECONDS;
  const expiry = Math.floor((options.nowMs ?? Date.now()) / 1000) + ttl;
  const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(12)));
  const signature = await sign(secret, `${expiry}.${nonce}`);
  const attributes = [
    `Max-Age=${ttl}`,
    "Path=/api/",
    "HttpOnly",
    "SameSite=Strict",
    ...(options.secure ? ["Secure"] : []),
  ];
  return `${PAGE_COOKIE_NAME}=p1.${expiry}.${nonce}.${signature}; ${attributes.join("; ")}`;
}

/** Why a request's page cookie is not accepted, or null when it is valid under one of `secrets`. */
export async function checkPageCookie(
  request: Request,
  secrets: readonly string[],
  nowMs = Date.now(),
): Promise<"missing" | "malformed" | "expired" | "bad_signature" | null> {
  const value = cookieValue(request.headers.get("cookie") ?? "", PAGE_COOKIE_NAME);
  if (value === null) return "missing";
  const match = /^p1\.(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return "malformed";
  const [, expiry, nonce, signature] = match;
  if (Number(expiry) * 1000 <= nowMs) return "expired";
  for (const secret of secrets) {
    if (await verify(secret, `${expiry}.${nonce}`, signature)) return null;
  }
  return "bad_signature";
}

/** The value of cookie `name` in a `Cookie` header, or null. */
function cookieValue(header: string, name: string): string | null {
  for (const part of header.slice(0, 8192).split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

async function sign(secret: string, fields: string): Promise<string> {
  const key = await hmacKey(secret, "sign");
  return toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(SIGNED_PREFIX + fields))));
}

async function verify(secret: string, fields: string, signature: string): Promise<boolean> {
  const key = await hmacKey(secret, "verify");
  const bytes = fromBase64Url(signature);
  // crypto.subtle.verify compares in constant time.
  return await crypto.subtle.verify("HMAC", key, bytes, encoder.encode(SIGNED_PREFIX + fields));
}

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
