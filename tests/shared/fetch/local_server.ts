/**
 * Loopback HTTP servers for download tests (this network cannot reach the internet): a file server with
 * per-route overrides and request counts, and a raw TCP server that promises more bytes than it sends.
 *
 * @module
 */
import { freePort } from "../../../harness/ports.ts";

/** One route: a file on disk or bytes, with extra response headers, or a status code. */
export interface Route {
  file?: string;
  bytes?: Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  status?: number;
}

/** A running file server. */
export interface LocalServer {
  url: string;
  /** GET requests per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** Serves `routes` (by URL path) on 127.0.0.1 and a free port; everything else is 404. */
export function serveRoutes(routes: Record<string, Route>): LocalServer {
  const hits = new Map<string, number>();
  const port = freePort();
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (request) => {
    const path = new URL(request.url).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (!route || route.status) return new Response("not found", { status: route?.status ?? 404 });
    const body: Uint8Array<ArrayBuffer> = route.bytes ?? await Deno.readFile(route.file!);
    return new Response(body, { headers: { "content-length": String(body.length), ...route.headers } });
  });
  return { url: `http://127.0.0.1:${port}`, hits, close: () => server.shutdown() };
}

/** A server whose every answer declares `declared` bytes but sends only `body` and closes. */
export function truncatingServer(body: Uint8Array, declared: number): { url: string; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const served = (async () => {
    for await (const conn of listener) {
      try {
        const buffer = new Uint8Array(4096);
        await conn.read(buffer);
        const head = `HTTP/1.1 200 OK\r\nContent-Length: ${declared}\r\nConnection: close\r\n\r\n`;
        await conn.write(new TextEncoder().encode(head));
        await conn.write(body);
      } catch { /* client went away */ }
      conn.close();
    }
  })();
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      listener.close();
      await served.catch(() => {});
    },
  };
}
