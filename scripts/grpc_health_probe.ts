/**
 * A `grpc.health.v1.Health/Check` client: exits 0 when the server answers SERVING, 1 otherwise. Debian has neither
 * grpcurl nor grpc_health_probe, so compose healthchecks and the dev runner use this.
 *
 * Usage: `deno run --allow-net --allow-env --ignore-env scripts/grpc_health_probe.ts 127.0.0.1:7002 [service] [timeout_ms]`
 *
 * A TLS worker is probed with the orchestrator's worker-link settings: `ORCHESTRATOR_WORKER_TLS_CA` (and
 * `ORCHESTRATOR_WORKER_TLS_CERT` + `_KEY` for a worker that requires a client certificate), read and checked by
 * `shared/security/worker_tls.ts` exactly as the orchestrator does; give the probe `--allow-env` for them and
 * `--allow-read` for the files. Unset (or `--ignore-env`), it speaks plaintext.
 *
 * The two tiny messages are encoded by hand (field 1 of each), so no .proto file has to be found at run time.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { channelCredentials, loadWorkerClientTls, type WorkerClientTls } from "../shared/security/worker_tls.ts";

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` names by number. */
const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

/** The result of one health check: a status name, or `UNREACHABLE` with the reason. */
export type HealthStatus = (typeof STATUS_NAMES)[number] | "UNREACHABLE";

function encodeRequest(service: string): Uint8Array {
  const bytes = new TextEncoder().encode(service);
  if (bytes.length === 0) return new Uint8Array(0);
  if (bytes.length > 127) throw new Error("service name longer than 127 bytes");
  return new Uint8Array([0x0a, bytes.length, ...bytes]);
}

function decodeStatus(bytes: Uint8Array): number {
  // HealthCheckResponse { ServingStatus status = 1; } → tag 0x08 then a small varint; absent means 0 (UNKNOWN).
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0x08) return bytes[i + 1];
  return 0;
}

const HealthClient = grpc.makeGenericClientConstructor({
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: (service: string) => Buffer.from(encodeRequest(service)),
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (v: number) => Buffer.from([0x08, v]),
    responseDeserialize: (b: Buffer) => decodeStatus(new Uint8Array(b)),
  },
}, "Health");

/** Clients kept open by `keepOpen` probes, by TLS settings (undefined: plaintext) then address. */
const openClients = new Map<WorkerClientTls | undefined, Map<string, grpc.Client>>();

function newClient(address: string, tls: WorkerClientTls | undefined): grpc.Client {
  const link = channelCredentials(address, tls);
  return new HealthClient(address, link.credentials, link.options);
}

/** Closes the clients that `keepOpen` probes left open (a process that outlives its probes, e.g. a test). */
export function closeOpenHealthClients(): void {
  for (const byAddress of openClients.values()) for (const client of byAddress.values()) client.close();
  openClients.clear();
}

/**
 * Asks `address` (host:port) for the health of `service` ("" = the whole server).
 *
 * `tls` dials over TLS (mTLS with a client certificate), with the orchestrator's own client settings
 * ({@linkcode channelCredentials}); without it the probe speaks plaintext.
 *
 * `keepOpen` reuses one connection per address and never closes it (it goes away with the process). Repeated
 * probes then do not open and close a connection each time: a client's HTTP/2 GOAWAY can trip an nghttp2 assertion
 * in Deno 2.9's HTTP/2 (denoland/deno#36788) and abort the worker being probed.
 */
export function checkGrpcHealth(
  address: string,
  service = "",
  timeoutMs = 2000,
  options: { keepOpen?: boolean; tls?: WorkerClientTls } = {},
): Promise<{ status: HealthStatus; detail?: string }> {
  let client: grpc.Client;
  if (options.keepOpen) {
    const byAddress = openClients.get(options.tls) ?? new Map<string, grpc.Client>();
    openClients.set(options.tls, byAddress);
    client = byAddress.get(address) ?? newClient(address, options.tls);
    byAddress.set(address, client);
  } else {
    client = newClient(address, options.tls);
  }
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + timeoutMs);
    // deno-lint-ignore no-explicit-any
    (client as any).Check(service, { deadline }, (error: grpc.ServiceError | null, status?: number) => {
      if (!options.keepOpen) client.close();
      if (error) resolve({ status: "UNREACHABLE", detail: `${grpc.status[error.code]}: ${error.details}` });
      else resolve({ status: STATUS_NAMES[status ?? 0] ?? "UNKNOWN" });
    });
  });
}

if (import.meta.main) {
  const [address, service = "", timeout = "3000"] = Deno.args;
  if (!address || !/^[^:]+:\d+$/.test(address.replace(/^\[.*\]/, "h"))) {
    console.error("usage: grpc_health_probe.ts <host:port> [service] [timeout_ms]");
    Deno.exit(2);
  }
  let tls: WorkerClientTls | undefined;
  try {
    tls = loadWorkerClientTls({
      ORCHESTRATOR_WORKER_TLS_CA: Deno.env.get("ORCHESTRATOR_WORKER_TLS_CA") || undefined,
      ORCHESTRATOR_WORKER_TLS_CERT: Deno.env.get("ORCHESTRATOR_WORKER_TLS_CERT") || undefined,
      ORCHESTRATOR_WORKER_TLS_KEY: Deno.env.get("ORCHESTRATOR_WORKER_TLS_KEY") || undefined,
    });
  } catch (error) {
    console.error(`UNUSABLE_TLS_CONFIG (${(error as Error).message})`);
    Deno.exit(2);
  }
  // The process exits right after the answer: the connection ends with it, without a GOAWAY.
  const result = await checkGrpcHealth(address, service, Number(timeout) || 3000, { keepOpen: true, tls });
  console.log(result.detail ? `${result.status} (${result.detail})` : result.status);
  Deno.exit(result.status === "SERVING" ? 0 : 1);
}
