/**
 * Serves the built web client (`web/dist/`) read-only: GET/HEAD of files under one root, `/` → `index.html`, with a
 * content type per extension, `no-cache` revalidation by ETag (size + mtime), and headers that keep the page to its
 * own origin (CSP, nosniff, microphone only for itself). Paths that try to leave the root are refused.
 *
 * @module
 */

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  wav: "audio/wav",
  txt: "text/plain; charset=utf-8",
};

/** Headers every page response carries. WebRTC and the fallback need ws/wss to any host the details name. */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: mediastream:",
    "connect-src 'self' ws: wss:",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "permissions-policy": "microphone=(self), camera=()",
};

/** Creates a handler for the files under `root`; it answers 404 for anything else. */
export function createStaticHandler(root: string): (request: Request) => Promise<Response> {
  const base = root.replace(/\/+$/, "");
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const relative = safeRelativePath(new URL(request.url).pathname);
    if (relative === null) return new Response("bad path\n", { status: 400 });
    const path = `${base}/${relative || "index.html"}`;
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(path);
    } catch {
      return notFound(base);
    }
    if (!stat.isFile) return notFound(base);
    const etag = `"${stat.size.toString(36)}-${(stat.mtime?.getTime() ?? 0).toString(36)}"`;
    const extension = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    const headers: Record<string, string> = {
      "content-type": TYPES[extension] ?? "application/octet-stream",
      "cache-control": "no-cache",
      etag,
      ...(extension === "html" ? PAGE_SECURITY_HEADERS : { "x-content-type-options": "nosniff" }),
    };
    if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    if (request.method === "HEAD") {
      return new Response(null, { headers: { ...headers, "content-length": String(stat.size) } });
    }
    const file = await Deno.open(path, { read: true });
    return new Response(file.readable, { headers: { ...headers, "content-length": String(stat.size) } });
  };
}

/** The path below the root for a URL path, or null when it is not a plain relative path (`..`, NUL, backslash). */
export function safeRelativePath(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const parts = decoded.split("/").filter((p) => p.length > 0);
  if (parts.some((p) => p === ".." || p === "." || p.startsWith("."))) return null;
  return parts.join("/");
}

async function notFound(base: string): Promise<Response> {
  let built = true;
  try {
    await Deno.stat(`${base}/index.html`);
  } catch {
    built = false;
  }
  const message = built
    ? "not found\n"
    : `the web client is not built: run \`deno task web:build\` (looked in ${base})\n`;
  return new Response(message, { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
}
