/**
 * How a TTS worker knows a call comes from the orchestrator: a shared-secret call credential (`WORKER_RPC_SECRET`,
 * sent as `authorization: Bearer …` metadata on every TTSService call and compared in constant time by the worker).
 * The grpc.health.v1 service stays open: it tells nothing but SERVING / NOT_SERVING.
 *
 * It composes with TLS and mutual TLS (`worker_tls.ts`): TLS proves the worker to the orchestrator (and, with mTLS,
 * the orchestrator to the worker) and hides the traffic; the secret still guards every TTSService call.
 *
 * @module
 */
import { InterceptingCall, type Interceptor, type Metadata } from "@grpc/grpc-js";
import { secretMatches } from "./constant_time.ts";
import type { WorkerClientTls, WorkerServerTls } from "./worker_tls.ts";

/** The security settings of one side of the worker link. */
export interface WorkerLinkSecurity {
  /** `WORKER_RPC_SECRET`: sent on every call; required by the worker on every TTSService call when set. */
  rpcSecret?: string;
  /** `WORKER_RPC_SECRET_ACCEPT`: accepted by the worker as well during a rotation; never sent. */
  acceptedRpcSecret?: string;
  /** Worker side: the TLS server (`WORKER_TLS_*`); absent = plaintext. */
  serverTls?: WorkerServerTls;
  /** Orchestrator side: the TLS client (`ORCHESTRATOR_WORKER_TLS_*`); absent = plaintext. */
  clientTls?: WorkerClientTls;
}

/** The settings from either service's config (both read the same variables). */
export function workerLinkSecurity(
  config: { WORKER_RPC_SECRET?: string; WORKER_RPC_SECRET_ACCEPT?: string },
): WorkerLinkSecurity {
  return {
    rpcSecret: config.WORKER_RPC_SECRET || undefined,
    acceptedRpcSecret: config.WORKER_RPC_SECRET_ACCEPT || undefined,
  };
}

/** The metadata entry that carries the secret. */
export const RPC_SECRET_METADATA_KEY = "authorization";

/** A client interceptor that adds the call credential to every call (none when no secret is set). */
export function rpcSecretInterceptors(secret: string | undefined): Interceptor[] {
  if (!secret) return [];
  const value = `Bearer ${secret}`;
  return [(options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(RPC_SECRET_METADATA_KEY, value);
        next(metadata, listener);
      },
    })];
}

/**
 * Why a call's metadata does not carry the secret, or null when it does (or when no secret is configured). The
 * message names what is wrong, never the secret.
 */
export function rpcSecretProblem(
  metadata: Metadata | undefined,
  secret: string | undefined,
  accepted?: string,
): string | null {
  if (!secret) return null;
  const values = metadata?.get(RPC_SECRET_METADATA_KEY) ?? [];
  const raw = values.length === 1 ? String(values[0]) : "";
  if (!raw) return "this worker requires the WORKER_RPC_SECRET call credential (authorization: Bearer …)";
  const given = raw.toLowerCase().startsWith("bearer ") ? raw.slice(7).trim() : "";
  // Both comparisons always run: which secret matched must not show in the timing either.
  const matches = [secretMatches(given, secret), accepted ? secretMatches(given, accepted) : false];
  return matches.some(Boolean) ? null : "the call credential does not match WORKER_RPC_SECRET";
}
