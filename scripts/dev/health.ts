/**
 * Health probes the dev runner polls before it calls a service healthy: Redis PING, an HTTP status, a
 * `grpc.health.v1` SERVING answer, or an open TCP port.
 *
 * @module
 */
import { checkGrpcHealth } from "../grpc_health_probe.ts";
import type { WorkerClientTls } from "../../shared/security/worker_tls.ts";

/** How to tell that a service is ready. */
export type HealthProbe =
  | { kind: "redis"; host: string; port: number; password?: string }
  | { kind: "http"; url: string }
  /** `tls`: dial as the orchestrator does (`ORCHESTRATOR_WORKER_TLS_*`), for a worker that serves TLS. */
  | { kind: "grpc"; address: string; service?: string; tls?: WorkerClientTls }
  | { kind: "tcp"; host: string; port: number };

/** Result of one probe: healthy, or not yet with the reason. */
export interface ProbeResult {
  healthy: boolean;
  detail: string;
}

/** One line describing a probe, for logs ("http http://127.0.0.1:8081/health"). */
export function describeProbe(probe: HealthProbe): string {
  switch (probe.kind) {
    case "redis":
      return `redis PING ${probe.host}:${probe.port}`;
    case "http":
      return `http ${probe.url}`;
    case "grpc":
      return `grpc.health.v1 ${probe.address}${probe.tls ? (probe.tls.cert ? " (mTLS)" : " (TLS)") : ""}`;
    case "tcp":
      return `tcp ${probe.host}:${probe.port}`;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function probeRedis(host: string, port: number, password: string | undefined, ms: number): Promise<ProbeResult> {
  const conn = await Deno.connect({ hostname: host, port });
  try {
    const command = password ? `AUTH ${password}\r\nPING\r\n` : "PING\r\n";
    await conn.write(new TextEncoder().encode(command));
    const buf = new Uint8Array(256);
    let text = "";
    const until = Date.now() + ms;
    while (!text.includes("PONG") && !text.includes("-") && Date.now() < until) {
      const n = await withTimeout(conn.read(buf), ms, "redis read");
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.includes("PONG") ? { healthy: true, detail: "PONG" } : { healthy: false, detail: text.trim() };
  } finally {
    conn.close();
  }
}

async function probeHttp(url: string, ms: number): Promise<ProbeResult> {
  const response = await fetch(url, { signal: AbortSignal.timeout(ms) });
  await response.body?.cancel();
  return { healthy: response.ok, detail: `HTTP ${response.status}` };
}

async function probeTcp(host: string, port: number): Promise<ProbeResult> {
  const conn = await Deno.connect({ hostname: host, port });
  conn.close();
  return { healthy: true, detail: "port open" };
}

/** Runs one probe; any error (refused, timeout) means "not healthy yet". */
export async function runProbe(probe: HealthProbe, timeoutMs = 2000): Promise<ProbeResult> {
  try {
    switch (probe.kind) {
      case "redis":
        return await withTimeout(probeRedis(probe.host, probe.port, probe.password, timeoutMs), timeoutMs, "redis");
      case "http":
        return await probeHttp(probe.url, timeoutMs);
      case "grpc": {
        // One connection per worker for all the runner's probes (see checkGrpcHealth on keepOpen).
        const result = await checkGrpcHealth(probe.address, probe.service ?? "", timeoutMs, {
          keepOpen: true,
          tls: probe.tls,
        });
        return { healthy: result.status === "SERVING", detail: result.detail ?? result.status };
      }
      case "tcp":
        return await withTimeout(probeTcp(probe.host, probe.port), timeoutMs, "tcp");
    }
  } catch (error) {
    return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
  }
}
