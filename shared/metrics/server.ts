/**
 * A small HTTP listener that serves one registry at `/metrics` (and `/livez`), for processes that have no other
 * HTTP server: the TTS workers (`WORKER_METRICS_PORT`).
 *
 * @module
 */
import { getLogger } from "../log/mod.ts";
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "./registry.ts";

const log = getLogger("metrics", "server");

/** Options of {@linkcode startMetricsServer}. */
export interface MetricsServerOptions {
  hostname: string;
  /** 0 picks a free port (see {@linkcode MetricsServer.port}). */
  port: number;
  registry: MetricsRegistry;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The bound port. */
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the listener; rejects with a message naming the address when it cannot bind. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: (addr) => resolve(addr),
      onError: (error) => {
        log.error("metrics request failed: {error}", { error });
        return new Response("internal error\n", { status: 500 });
      },
    }, (request) => {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
      }
      const { pathname } = new URL(request.url);
      if (pathname === "/metrics") {
        return new Response(options.registry.render(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
      }
      if (pathname === "/livez") return new Response("ok\n", { headers: { "content-type": "text/plain" } });
      return new Response("not found: try /metrics\n", { status: 404 });
    });
  } catch (error) {
    throw new Error(
      `cannot serve metrics on ${options.hostname}:${options.port}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  const addr = await promise;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return { port: addr.port, url: `http://${host}:${addr.port}`, close: () => server.shutdown() };
}
