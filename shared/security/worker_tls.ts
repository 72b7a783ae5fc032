/**
 * TLS (and optional mutual TLS) on the gRPC link between the orchestrator and the TTS workers.
 *
 * Worker: `WORKER_TLS_CERT` + `WORKER_TLS_KEY` serve TLS; `WORKER_TLS_CA` set as well requires and verifies a client
 * certificate signed by that CA (mTLS). Orchestrator: `ORCHESTRATOR_WORKER_TLS_CA` dials workers over TLS and verifies
 * them against that CA; `ORCHESTRATOR_WORKER_TLS_CERT` + `_KEY` are the client certificate for mTLS.
 *
 * Two things make grpc-js TLS work under Deno 2.9 (measured; see docs/SECURITY.md "gRPC TLS under Deno"):
 * - The server never gets grpc-js's fallback CA list. `ServerCredentials.createSsl(null, …)` puts the file named by
 *   `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` (often the whole system bundle) in `ca`, and Deno's node:tls server sends a
 *   CertificateRequest naming every CA in `ca` even when no client certificate is requested: with ~140 system CAs that
 *   message is larger than clients accept (OpenSSL "excessive message size", rustls "HandshakePayloadTooLarge"), so
 *   the handshake dies after EncryptedExtensions. {@linkcode serverCredentials} builds the context itself.
 * - Deno's tls.connect refuses an IP address as `servername` (Node only warns). For an IP target the client sends a
 *   fixed SNI name and checks the certificate against the IP itself ({@linkcode channelCredentials}); the chain is
 *   still verified by Deno against the CA.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { type ChannelCredentials, type ChannelOptions, credentials, ServerCredentials } from "@grpc/grpc-js";

/** PEM material of a worker's TLS server. */
export interface WorkerServerTls {
  cert: Buffer;
  key: Buffer;
  /** Client CA: when set, a client certificate signed by it is required (mTLS). */
  ca?: Buffer;
}

/** PEM material of the orchestrator's TLS client. */
export interface WorkerClientTls {
  /** The CA that signed the workers' certificates. */
  ca: Buffer;
  /** Client certificate and key, for workers that require one (mTLS). */
  cert?: Buffer;
  key?: Buffer;
}

/** SNI name sent when the worker address is an IP (Deno refuses an IP as servername; the IP is checked instead). */
export const IP_TARGET_SNI = "tts-worker.invalid";

/** Lowest TLS version offered or accepted on the worker link. */
const MIN_VERSION = "TLSv1.2";

class WorkerServerCredentials extends ServerCredentials {
  constructor(readonly tls: WorkerServerTls) {
    super(
      { requestCert: Boolean(tls.ca), rejectUnauthorized: true, minVersion: MIN_VERSION },
      // `ca` only when mTLS is on, and then only ours (see the module comment).
      tls.ca ? { cert: tls.cert, key: tls.key, ca: tls.ca } : { cert: tls.cert, key: tls.key },
    );
  }
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/** gRPC server credentials: TLS, and mTLS when `tls.ca` is set. */
export function serverCredentials(tls: WorkerServerTls | undefined): ServerCredentials {
  return tls ? new WorkerServerCredentials(tls) : ServerCredentials.createInsecure();
}

/** The host part of `host:port` (`[::1]:7002` → `::1`). */
function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(":"));
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/**
 * Channel credentials and options for dialling `address`: plaintext without `tls`, else TLS verified against
 * `tls.ca` (server name = the address's host, or its IP SAN for an IP address), with the client certificate when set.
 */
export function channelCredentials(
  address: string,
  tls: WorkerClientTls | undefined,
): { credentials: ChannelCredentials; options: ChannelOptions } {
  if (!tls) return { credentials: credentials.createInsecure(), options: {} };
  const host = hostOf(address);
  const ip = isIP(host) !== 0;
  const verify = ip
    ? { checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert) }
    : {};
  return {
    credentials: credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null, verify),
    options: ip ? { "grpc.ssl_target_name_override": IP_TARGET_SNI } : {},
  };
}

/** A TLS file that cannot be used; the message names the variable, the file and what is wrong. */
export class TlsConfigError extends Error {
  override name = "TlsConfigError";
}

function readPem(variable: string, path: string, kind: "CERTIFICATE" | "PRIVATE KEY"): Buffer {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const scoped = error instanceof Deno.errors.NotCapable
      ? " — the deno tasks may read TLS files only under certs/ and .cache/certs/"
      : "";
    throw new TlsConfigError(`${variable}=${path}: cannot read it (${(error as Error).message})${scoped}`);
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text)) {
    throw new TlsConfigError(`${variable}=${path}: not a PEM ${kind.toLowerCase()} (no "-----BEGIN …${kind}-----")`);
  }
  return Buffer.from(text);
}

/** Parses the first certificate and refuses one that is expired or not yet valid, naming the dates. */
function checkCertificate(variable: string, path: string, pem: Buffer, now: Date): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (error) {
    throw new TlsConfigError(`${variable}=${path}: not a valid certificate (${(error as Error).message})`);
  }
  if (now < new Date(cert.validFrom)) {
    throw new TlsConfigError(`${variable}=${path}: the certificate is not valid before ${cert.validFrom}`);
  }
  if (now > new Date(cert.validTo)) {
    throw new TlsConfigError(
      `${variable}=${path}: the certificate expired on ${cert.validTo}; make a new one (deno task certs:dev)`,
    );
  }
  return cert;
}

function loadPair(names: { cert: string; key: string }, certPath: string, keyPath: string, now: Date) {
  const cert = readPem(names.cert, certPath, "CERTIFICATE");
  const key = readPem(names.key, keyPath, "PRIVATE KEY");
  const x509 = checkCertificate(names.cert, certPath, cert, now);
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    throw new TlsConfigError(`${names.key}=${keyPath}: not a usable private key (${(error as Error).message})`);
  }
  if (!matches) {
    throw new TlsConfigError(`${names.key}=${keyPath} is not the key of the certificate in ${names.cert}=${certPath}`);
  }
  return { cert, key };
}

/** Reads a worker's TLS files (`WORKER_TLS_*`); undefined when TLS is off. Throws a {@linkcode TlsConfigError}. */
export function loadWorkerServerTls(
  config: { WORKER_TLS_CERT?: string; WORKER_TLS_KEY?: string; WORKER_TLS_CA?: string },
  now = new Date(),
): WorkerServerTls | undefined {
  if (!config.WORKER_TLS_CERT || !config.WORKER_TLS_KEY) return undefined;
  const pair = loadPair(
    { cert: "WORKER_TLS_CERT", key: "WORKER_TLS_KEY" },
    config.WORKER_TLS_CERT,
    config.WORKER_TLS_KEY,
    now,
  );
  if (!config.WORKER_TLS_CA) return pair;
  const ca = readPem("WORKER_TLS_CA", config.WORKER_TLS_CA, "CERTIFICATE");
  checkCertificate("WORKER_TLS_CA", config.WORKER_TLS_CA, ca, now);
  return { ...pair, ca };
}

/** Reads the orchestrator's worker-link TLS files (`ORCHESTRATOR_WORKER_TLS_*`); undefined when TLS is off. */
export function loadWorkerClientTls(
  config: {
    ORCHESTRATOR_WORKER_TLS_CA?: string;
    ORCHESTRATOR_WORKER_TLS_CERT?: string;
    ORCHESTRATOR_WORKER_TLS_KEY?: string;
  },
  now = new Date(),
): WorkerClientTls | undefined {
  if (!config.ORCHESTRATOR_WORKER_TLS_CA) return undefined;
  const ca = readPem("ORCHESTRATOR_WORKER_TLS_CA", config.ORCHESTRATOR_WORKER_TLS_CA, "CERTIFICATE");
  checkCertificate("ORCHESTRATOR_WORKER_TLS_CA", config.ORCHESTRATOR_WORKER_TLS_CA, ca, now);
  if (!config.ORCHESTRATOR_WORKER_TLS_CERT || !config.ORCHESTRATOR_WORKER_TLS_KEY) return { ca };
  const pair = loadPair(
    { cert: "ORCHESTRATOR_WORKER_TLS_CERT", key: "ORCHESTRATOR_WORKER_TLS_KEY" },
    config.ORCHESTRATOR_WORKER_TLS_CERT,
    config.ORCHESTRATOR_WORKER_TLS_KEY,
    now,
  );
  return { ca, ...pair };
}

/**
 * Why this orchestrator cannot dial a worker whose record says `mode`, or null when it can. A TLS orchestrator never
 * falls back to plaintext, and a worker that requires a client certificate is skipped by one that has none.
 */
export function linkMismatch(mode: "off" | "tls" | "mtls", tls: WorkerClientTls | undefined): string | null {
  if (mode === "off" && tls) {
    return "it serves plaintext gRPC and ORCHESTRATOR_WORKER_TLS_CA is set (give it WORKER_TLS_CERT and WORKER_TLS_KEY)";
  }
  if (mode !== "off" && !tls) {
    return "it serves gRPC over TLS (set ORCHESTRATOR_WORKER_TLS_CA to the CA that signed it)";
  }
  if (mode === "mtls" && !tls?.cert) {
    return "it requires a client certificate (set ORCHESTRATOR_WORKER_TLS_CERT and ORCHESTRATOR_WORKER_TLS_KEY)";
  }
  return null;
}

/** What an operator should read into a refused handshake's error code. */
const HANDSHAKE_HINTS: Record<string, string> = {
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: "the client sent no certificate (WORKER_TLS_CA is set: mTLS required)",
  ECONNRESET: "the handshake failed: the client's certificate is not signed by WORKER_TLS_CA, has expired, or is " +
    "self-signed, or the client does not trust this worker's certificate",
  ERR_SSL_WRONG_VERSION_NUMBER: "the client does not speak TLS (a plaintext gRPC client: give it the worker's CA)",
};

/**
 * Logs why TLS handshakes on a gRPC server fail, at most once a minute per reason (with the count since): the
 * client side often sees only "Failed to connect" or EPIPE, because under TLS 1.3 the server's alert arrives after the
 * client has finished its half of the handshake. grpc-js keeps its HTTP/2 servers private (`http2Servers`); this is
 * the one place that reaches in, and it does nothing when that changes.
 */
export function logHandshakeFailures(
  server: unknown,
  warn: (reason: string, count: number) => void,
  now: () => number = Date.now,
): void {
  const servers = (server as { http2Servers?: Map<{ on(event: string, f: (e: Error) => void): void }, unknown> })
    .http2Servers;
  if (!(servers instanceof Map)) return;
  const last = new Map<string, { at: number; suppressed: number }>();
  for (const http2Server of servers.keys()) {
    http2Server.on("tlsClientError", (error: Error & { code?: string }) => {
      const reason = HANDSHAKE_HINTS[error.code ?? ""] ?? `${error.message}${error.code ? ` (${error.code})` : ""}`;
      const seen = last.get(reason);
      if (seen && now() - seen.at < 60_000) {
        seen.suppressed++;
        return;
      }
      last.set(reason, { at: now(), suppressed: 0 });
      warn(reason, 1 + (seen?.suppressed ?? 0));
    });
  }
}
