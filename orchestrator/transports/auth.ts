/**
 * Credentials for client connections: static API keys (`ORCHESTRATOR_API_KEYS`) and short-lived HMAC-signed tokens
 * (`ORCHESTRATOR_TOKEN_SECRET`). A token is `v1.<payload>.<signature>`, both base64url; the payload is
 * `{"sub": string, "exp": unix seconds}` and the signature is HMAC-SHA256 over `v1.<payload>` with the secret.
 *
 * @module
 */

import { constantTimeEqual } from "../../shared/security/constant_time.ts";

const TOKEN_PREFIX = "v1.";
const encoder = new TextEncoder();

/** Longest lifetime a token may claim, in seconds: anything longer is refused as not short-lived. */
export const MAX_TOKEN_TTL_SECONDS = 3600;

/** The credential checker of one server. */
export interface Authenticator {
  /** Returns the principal (non-secret id) for a credential, or an error message naming the problem. */
  verify(credential: string): Promise<{ ok: true; principal: string } | { ok: false; message: string }>;
}

/** Settings: with neither keys nor a token secret nobody can connect, unless `allowAnonymous` is set. */
export interface AuthSettings {
  apiKeys: readonly string[];
  tokenSecret?: string;
  /** `ORCHESTRATOR_TOKEN_SECRET_ACCEPT`: tokens signed with it are accepted too (key rotation); none are minted. */
  acceptedTokenSecret?: string;
  /**
   * Development mode (`ORCHESTRATOR_API_KEYS` empty and no token secret): every connection is accepted as the
   * principal `anonymous`. Never for a deployment.
   */
  allowAnonymous?: boolean;
  /** Current time in ms (injectable for tests). */
  now?: () => number;
}

/** Creates the authenticator for the given keys and token secret. */
export function createAuthenticator(settings: AuthSettings): Authenticator {
  const now = settings.now ?? Date.now;
  const keyDigests = Promise.all(settings.apiKeys.filter((k) => k.length > 0).map((k) => digestHex(k)));
  const hmacKeys = [settings.tokenSecret, settings.acceptedTokenSecret].filter((s): s is string => Boolean(s))
    .map(importHmacKey);
  return {
    async verify(credential) {
      if (settings.allowAnonymous) return { ok: true, principal: "anonymous" };
      if (!credential) return { ok: false, message: "no credentials: send an API key or a token" };
      if (credential.startsWith(TOKEN_PREFIX)) {
        if (!hmacKeys.length) return { ok: false, message: "tokens are not enabled on this server" };
        let verdict: Awaited<ReturnType<typeof verifyToken>> = { ok: false, message: "malformed token" };
        for (const key of hmacKeys) {
          verdict = await verifyToken(credential, await key, now());
          if (verdict.ok || verdict.message !== "token signature does not match") return verdict;
        }
        return verdict;
      }
      // Compare digests, not the keys: equal-length, and no early exit that leaks a prefix match.
      const digest = await digestHex(credential);
      const match = (await keyDigests).some((known) => constantTimeEqual(known, digest));
      return match ? { ok: true, principal: `key:${digest.slice(0, 12)}` } : { ok: false, message: "unknown API key" };
    },
  };
}

/** Mints a token for `subject` valid for `ttlSeconds` (at most {@linkcode MAX_TOKEN_TTL_SECONDS}). */
export async function mintToken(
  secret: string,
  subject: string,
  ttlSeconds: number,
  now: number = Date.now(),
): Promise<string> {
  if (!secret) throw new Error("token secret is empty");
  if (!(ttlSeconds > 0 && ttlSeconds <= MAX_TOKEN_TTL_SECONDS)) {
    throw new Error(`token TTL must be in (0, ${MAX_TOKEN_TTL_SECONDS}] seconds, got ${ttlSeconds}`);
  }
  const payload = base64url(encoder.encode(JSON.stringify({ sub: subject, exp: Math.floor(now / 1000) + ttlSeconds })));
  const signed = TOKEN_PREFIX + payload;
  const signature = await crypto.subtle.sign("HMAC", await importHmacKey(secret), encoder.encode(signed));
  return `${signed}.${base64url(new Uint8Array(signature))}`;
}

async function verifyToken(
  token: string,
  key: CryptoKey,
  nowMs: number,
): Promise<{ ok: true; principal: string } | { ok: false; message: string }> {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, message: "malformed token" };
  const signature = fromBase64url(parts[2]);
  if (!signature) return { ok: false, message: "malformed token signature" };
  const valid = await crypto.subtle.verify(
    "HMAC",
    key,
    signature as Uint8Array<ArrayBuffer>,
    encoder.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!valid) return { ok: false, message: "token signature does not match" };
  const payloadBytes = fromBase64url(parts[1]);
  let payload: { sub?: unknown; exp?: unknown };
  try {
    payload = JSON.parse(new TextDecoder().decode(payloadBytes ?? new Uint8Array()));
  } catch {
    return { ok: false, message: "malformed token payload" };
  }
  if (typeof payload.sub !== "string" || !payload.sub || typeof payload.exp !== "number") {
    return { ok: false, message: "token payload needs sub and exp" };
  }
  const nowSeconds = nowMs / 1000;
  if (payload.exp <= nowSeconds) return { ok: false, message: "token expired" };
  if (payload.exp - nowSeconds > MAX_TOKEN_TTL_SECONDS + 60) {
    return { ok: false, message: "token lifetime exceeds the allowed maximum" };
  }
  return { ok: true, principal: `sub:${payload.sub.slice(0, 64)}` };
}

function importHmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

async function digestHex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
