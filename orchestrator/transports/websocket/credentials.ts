/**
 * Finds the credential (API key or token) in a WebSocket upgrade request. Browsers cannot set headers on a
 * WebSocket, so besides `Authorization: Bearer …` and `X-API-Key`, the credential may travel as a subprotocol
 * (`voice.v1, auth.<credential>`) or, for short-lived tokens only, in the query (`?token=v1.…`). An API key in the
 * query is never accepted: query strings end up in access logs.
 *
 * @module
 */

/** Tokens start with this (see `auth.ts`); anything else in `?token=` is ignored. */
const TOKEN_PREFIX = "v1.";

/** The application subprotocol; the server echoes it when the client offers it. */
export const SUBPROTOCOL = "voice.v1";
/** Prefix of the subprotocol entry that carries a credential. */
export const AUTH_SUBPROTOCOL_PREFIX = "auth.";

/** The credential of a request (empty when none) and the subprotocol to answer with, if any. */
export interface RequestCredential {
  credential: string;
  protocol?: string;
}

/** Extracts the credential from the headers, subprotocols or query of `request`. */
export function credentialFromRequest(request: Request): RequestCredential {
  const offered = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  // A server must answer with one of the offered protocols, never the credential itself.
  const protocol = offered.includes(SUBPROTOCOL) ? SUBPROTOCOL : undefined;
  const authorization = request.headers.get("authorization");
  if (authorization?.toLowerCase().startsWith("bearer ")) {
    return { credential: authorization.slice(7).trim(), protocol };
  }
  const apiKey = request.headers.get("x-api-key");
  if (apiKey) return { credential: apiKey.trim(), protocol };
  const fromProtocol = offered.find((p) => p.startsWith(AUTH_SUBPROTOCOL_PREFIX));
  if (fromProtocol) {
    return { credential: fromProtocol.slice(AUTH_SUBPROTOCOL_PREFIX.length), protocol: protocol ?? SUBPROTOCOL };
  }
  // Query strings end up in access logs: only short-lived tokens may travel there, never an API key.
  const token = new URL(request.url).searchParams.get("token") ?? "";
  return { credential: token.startsWith(TOKEN_PREFIX) ? token : "", protocol };
}
