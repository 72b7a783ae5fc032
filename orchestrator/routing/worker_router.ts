/**
 * The orchestrator's {@linkcode TtsRouter}: picks a worker per session from the Redis registry (or the static
 * `TTS_WORKER_ADDRESS` when the registry has none or Redis is down), keeps one gRPC channel per worker, watches the
 * health of the workers in use, and moves speech streams to another worker when theirs fails.
 *
 * A session stays on the worker it was first placed on while that worker is healthy and has its model (its worker
 * session lives there); the policy decides where new sessions go.
 *
 * @module
 */
import { getLogger } from "../../shared/log/mod.ts";
import type { WorkerLinkSecurity } from "../../shared/security/worker_rpc.ts";
import { linkMismatch } from "../../shared/security/worker_tls.ts";
import { WorkerDirectory } from "../../shared/registry/directory.ts";
import type { WorkerRecord } from "../../shared/registry/worker_record.ts";
import { busyVerdict, isFullRefusal, WorkersBusyError } from "./capacity.ts";
import type { ModelResolution, SpeechStream, SpeechStreamOptions, TtsRouter } from "./contract.ts";
import type { WorkerHealth } from "./health_watch.ts";
import { createRoutingPolicy } from "./policies/mod.ts";
import type { RoutingPolicy, RoutingPolicyName, WorkerCandidate } from "./policy.ts";
import { describeError, endSession, isRequestError } from "./rpc.ts";
import { RoutedSpeechStream } from "./speech_stream.ts";
import type { Placement, RoutedStreamRequest, StreamHost } from "./stream_host.ts";
import { WorkerChannels } from "./worker_channels.ts";
import { SessionEndedError, WorkerSessions } from "./worker_sessions.ts";

const log = getLogger("orchestrator", "routing");

/** Options of a {@linkcode WorkerRouter}. */
export interface WorkerRouterOptions {
  /** Started directory to discover workers from; null or absent: static address only. */
  directory?: WorkerDirectory | null;
  /** `TTS_WORKER_ADDRESS`: used when the registry offers no worker. */
  staticAddress?: string;
  /** `ROUTING_POLICY` (default `least_loaded`) or a policy object. */
  policy?: RoutingPolicyName | RoutingPolicy;
  /** `DEFAULT_MODEL` for streams that name none; "" lets each worker use its own default. */
  defaultModel?: string;
  /** StartSession deadline (includes a model load), default 30 s. */
  startSessionTimeoutMs?: number;
  /** Control deadline, default 2 s. */
  controlTimeoutMs?: number;
  /** No audio for this long while audio is due counts as a worker failure, default 5 s. */
  stallTimeoutMs?: number;
  /** Failovers allowed per stream, default 3. */
  maxFailovers?: number;
  /** The call credential for the worker link (`WORKER_RPC_SECRET`). */
  security?: WorkerLinkSecurity;
  /** gRPC ping period to workers in use (`TTS_KEEPALIVE_MS`), default 15 s; see {@linkcode WorkerChannels}. */
  keepaliveMs?: number;
  /** `STRICT_CONFIG`: never serve a worker's stand-in model for the one asked (see {@linkcode resolveModel}). */
  refuseModelFallback?: boolean;
}

/** No worker can take a stream; the message says why (model, workers seen, last error). */
export class NoWorkerAvailableError extends Error {
  override name = "NoWorkerAvailableError";
}

const STICKY_LIMIT = 10_000;

/** Routes speech streams to TTS workers. */
export class WorkerRouter implements TtsRouter, StreamHost {
  readonly controlTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxFailovers: number;
  readonly policy: RoutingPolicy;
  /** Channels by worker address (exposed for health reporting and tests). */
  readonly channels: WorkerChannels;
  /** Worker sessions held (exposed for tests). */
  readonly sessions: WorkerSessions;
  readonly #directory: WorkerDirectory | null;
  readonly #staticAddress: string;
  readonly #defaultModel: string;
  readonly #refuseModelFallback: boolean;
  readonly #streams = new Set<RoutedSpeechStream>();
  /** Orchestrator session → worker name it lives on. */
  readonly #sticky = new Map<string, string>();
  readonly #unsubscribe: Array<() => void> = [];
  /** Workers already warned about for a TLS mismatch (name/mode). */
  readonly #linkWarned = new Set<string>();
  #closed = false;

  constructor(options: WorkerRouterOptions) {
    this.#directory = options.directory ?? null;
    this.#staticAddress = options.staticAddress ?? "";
    this.#defaultModel = options.defaultModel ?? "";
    this.#refuseModelFallback = options.refuseModelFallback ?? false;
    this.policy = typeof options.policy === "object"
      ? options.policy
      : createRoutingPolicy(options.policy ?? "least_loaded");
    this.controlTimeoutMs = options.controlTimeoutMs ?? 2000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 5000;
    this.maxFailovers = options.maxFailovers ?? 3;
    this.sessions = new WorkerSessions(options.startSessionTimeoutMs ?? 30_000);
    this.channels = new WorkerChannels(
      (address, status) => this.#onHealth(address, status),
      options.security,
      options.keepaliveMs,
    );
    if (this.#directory) this.#unsubscribe.push(this.#directory.on("leave", (record) => this.#onLeave(record)));
  }

  async openStream(options: SpeechStreamOptions): Promise<SpeechStream> {
    if (this.#closed) throw new Error("the TTS router is closed");
    if (!options?.sessionId) throw new TypeError("openStream needs a sessionId");
    const request: RoutedStreamRequest = {
      sessionId: options.sessionId,
      modelId: options.modelId || this.#defaultModel,
      options: options.options,
      affinityKey: options.affinityKey || options.sessionId,
    };
    const stream = await RoutedSpeechStream.open(this, request);
    this.#streams.add(stream);
    return stream;
  }

  busy(modelId = ""): string | null {
    const model = modelId || this.#defaultModel;
    return busyVerdict(this.#candidates(model), describeModel(model))?.message ?? null;
  }

  resolveModel(modelId = ""): ModelResolution {
    const model = modelId || this.#defaultModel;
    // The static TTS_WORKER_ADDRESS answers for itself; only registry records say what a worker really serves.
    const offered = (id: string) => this.#candidates(id).some((c) => !c.isStatic);
    if (!model || this.#refuseModelFallback || offered(model)) return { model };
    // Healthy workers that were configured for this model and serve a stand-in; the same choice for every session.
    const standIns = (this.#directory?.list() ?? [])
      .filter((record) => record.modelFallback?.requested === model && this.#healthy(record.address))
      .sort((a, b) => a.name.localeCompare(b.name));
    const record = standIns.find((r) => offered(r.modelFallback!.served));
    if (!record?.modelFallback) return { model };
    const { served, reason } = record.modelFallback;
    return { model: served, fallback: { requested: model, served, reason, worker: record.name } };
  }

  async endSession(sessionId: string): Promise<void> {
    this.#sticky.delete(sessionId);
    await this.sessions.endSession(sessionId);
  }

  workers(): Array<{ name: string; address: string; healthy: boolean; activeSessions: number; queueDepth: number }> {
    const listed = (this.#directory?.list() ?? []).map((record) => ({
      name: record.name,
      address: record.address,
      healthy: this.#healthy(record.address),
      activeSessions: record.load.activeSessions,
      queueDepth: record.load.queueDepth,
    }));
    if (this.#staticAddress && !listed.some((w) => w.address === this.#staticAddress)) {
      const local = this.#localStreams(this.#staticAddress);
      listed.push({
        name: staticName(this.#staticAddress),
        address: this.#staticAddress,
        healthy: this.#healthy(this.#staticAddress),
        activeSessions: local,
        queueDepth: 0,
      });
    }
    return listed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    await Promise.all([...this.#streams].map((stream) => stream.stop()));
    await this.sessions.endAll();
    this.channels.closeAll();
  }

  // --- StreamHost ---

  async place(request: RoutedStreamRequest, avoid: ReadonlySet<string>): Promise<Placement> {
    const tried = new Set<string>();
    const failures: string[] = [];
    let refusedFull = 0;
    // Every worker full: say so now rather than asking each of them to refuse.
    const busy = busyVerdict(this.#candidates(request.modelId), describeModel(request.modelId));
    if (busy) throw busy;
    while (true) {
      let candidates = this.#candidates(request.modelId).filter((c) => !tried.has(c.address));
      // Avoid the workers that already failed this stream, unless nothing else is left.
      const fresh = candidates.filter((c) => !avoid.has(c.address));
      if (fresh.length) candidates = fresh;
      if (!candidates.length && refusedFull && refusedFull === failures.length) {
        throw new WorkersBusyError(`every TTS worker refused the session as full: ${failures.join("; ")}`);
      }
      if (!candidates.length) throw new NoWorkerAvailableError(this.#noWorkerMessage(request.modelId, failures));
      const sticky = this.#sticky.get(request.sessionId);
      const chosen = candidates.find((c) => c.name === sticky && !avoid.has(c.address)) ??
        this.policy.choose(candidates, request) ?? candidates[0];
      const channel = this.channels.retain(chosen.address);
      try {
        const lease = await this.sessions.acquire(channel, request);
        this.#stick(request.sessionId, chosen.name);
        return { worker: chosen.name, address: chosen.address, channel, lease };
      } catch (error) {
        this.channels.release(chosen.address);
        if (error instanceof SessionEndedError) throw error;
        if (isRequestError(error)) {
          throw new NoWorkerAvailableError(`worker ${chosen.name} refused the session: ${describeError(error)}`);
        }
        tried.add(chosen.address);
        if (isFullRefusal(error)) refusedFull++;
        failures.push(`${chosen.name}: ${describeError(error)}`);
        log.warn("could not start a session on worker {worker}: {error}; trying another", {
          worker: chosen.name,
          error: describeError(error),
          session_id: request.sessionId,
        });
      }
    }
  }

  unplace(placement: Placement, outcome: "reuse" | "discard"): void {
    if (outcome === "reuse") this.sessions.release(placement.lease, placement.channel);
    else {
      this.sessions.discard(placement.lease);
      // Best effort: frees the model reference if the worker is still there; a dead worker forgets by itself.
      void endSession(placement.channel.client, placement.lease.id, this.controlTimeoutMs);
    }
    this.channels.release(placement.address);
  }

  closed(stream: { readonly address: string | null }): void {
    this.#streams.delete(stream as RoutedSpeechStream);
  }

  // --- choice ---

  /** Eligible workers for a model: registry workers that are healthy and have or can load it, else the static one. */
  #candidates(modelId: string): WorkerCandidate[] {
    const candidates: WorkerCandidate[] = [];
    for (const record of this.#directory?.list() ?? []) {
      if (!this.#dialable(record)) continue;
      if (!this.#healthy(record.address)) continue;
      const wanted = modelId || record.defaultModel;
      const resident = record.residentModels.includes(wanted);
      if (!resident && !record.availableModels.includes(wanted)) continue;
      candidates.push({
        name: record.name,
        address: record.address,
        resident,
        activeSessions: record.load.activeSessions,
        maxSessions: record.load.maxSessions,
        queueDepth: record.load.queueDepth,
        localStreams: this.#localStreams(record.address),
        isStatic: false,
      });
    }
    if (!candidates.length && this.#staticAddress && this.#healthy(this.#staticAddress)) {
      // Nothing known about the static worker's models: it gets the request and answers for itself.
      candidates.push({
        name: staticName(this.#staticAddress),
        address: this.#staticAddress,
        resident: true,
        activeSessions: 0,
        maxSessions: 0,
        queueDepth: 0,
        localStreams: this.#localStreams(this.#staticAddress),
        isStatic: true,
      });
    }
    return candidates;
  }

  /** Whether this orchestrator's TLS settings fit the worker's; warns once per worker and mode when not. */
  #dialable(record: WorkerRecord): boolean {
    const problem = linkMismatch(record.tls, this.channels.security.clientTls);
    const key = `${record.name}/${record.tls}`;
    if (!problem) return true;
    if (!this.#linkWarned.has(key)) {
      this.#linkWarned.add(key);
      log.warn("not using worker {worker} at {address}: {problem}", {
        worker: record.name,
        address: record.address,
        problem,
      });
    }
    return false;
  }

  #healthy(address: string): boolean {
    const status = this.channels.peek(address)?.health.status ?? "unknown";
    return status === "serving" || status === "unknown";
  }

  /** Streams of this orchestrator on the worker now, including ones being placed there. */
  #localStreams(address: string): number {
    return this.channels.peek(address)?.users ?? 0;
  }

  #stick(sessionId: string, worker: string): void {
    this.#sticky.delete(sessionId);
    this.#sticky.set(sessionId, worker);
    // Sessions that never call endSession must not grow this map forever: drop the oldest.
    if (this.#sticky.size > STICKY_LIMIT) this.#sticky.delete(this.#sticky.keys().next().value!);
  }

  #noWorkerMessage(modelId: string, failures: string[]): string {
    const listed = this.#directory?.list() ?? [];
    const healthy = listed.filter((record) => this.#healthy(record.address)).length;
    const outage = this.#directory?.connected === false ? " (Redis unreachable: last known list)" : "";
    const registry = this.#directory
      ? `${listed.length} worker(s) in the registry, ${healthy} healthy${outage}`
      : "no registry";
    const model = describeModel(modelId);
    const fallback = this.#staticAddress ? `static TTS_WORKER_ADDRESS ${this.#staticAddress}` : "no TTS_WORKER_ADDRESS";
    const tried = failures.length ? `; tried ${failures.join("; ")}` : "";
    const models = [...new Set(listed.flatMap((record) => record.availableModels))].sort();
    const offered = this.#directory ? `; the registry offers ${models.join(", ") || "no model"}` : "";
    const undialable = listed.flatMap((record) => {
      const problem = linkMismatch(record.tls, this.channels.security.clientTls);
      return problem ? [`${record.name}: ${problem}`] : [];
    });
    const tls = undialable.length ? `; not used: ${undialable.join("; ")}` : "";
    return `no healthy TTS worker can serve ${model}: ${registry}, ${fallback}${tried}${offered}${tls}`;
  }

  // --- worker failures ---

  #onHealth(address: string, status: WorkerHealth): void {
    if (status === "serving" || status === "unknown") return;
    if (status === "unreachable") this.sessions.forgetWorker(address);
    for (const stream of [...this.#streams]) stream.workerLost(address, `worker at ${address} is ${status}`);
  }

  #onLeave(record: WorkerRecord): void {
    this.sessions.forgetWorker(record.address);
    for (const stream of [...this.#streams]) {
      stream.workerLost(record.address, `worker ${record.name} left the registry`);
    }
    if (record.address !== this.#staticAddress) this.channels.retire(record.address);
  }
}

function describeModel(modelId: string): string {
  return modelId ? `model "${modelId}"` : "the default model";
}

function staticName(address: string): string {
  return `static:${address}`;
}
