/**
 * The state of one worker that every RPC and the registry read: sessions, running streams, the model manager, the
 * adapter's catalogue, and whether the worker is draining. Status reports (Capabilities, ModelInfo, the registry
 * record) are built here from that live state, so they always tell the truth.
 *
 * @module
 */
import type { WorkerLinkMode } from "../../shared/registry/worker_record.ts";
import type { Capabilities, ModelInfo } from "../../proto/gen/tts.ts";
import { FRAME_MS, WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import type { ModelFallback, WorkerRecord } from "../../shared/registry/worker_record.ts";
import { getLogger } from "../../shared/log/mod.ts";
import { type Metadata, status } from "@grpc/grpc-js";
import { rpcSecretProblem, type WorkerLinkSecurity } from "../../shared/security/worker_rpc.ts";
import type { ModelDescriptor, TtsAdapter } from "./adapter.ts";
import type { WorkerLimits } from "./limits.ts";
import { RpcError } from "./rpc_error.ts";
import type { ModelManager, ResidentModelStatus } from "./model_manager.ts";
import type { SessionTable } from "./session_table.ts";
import type { SynthesisContext, SynthesisStream } from "./synthesis_stream.ts";
import type { WorkerMetrics } from "./worker_metrics.ts";

const log = getLogger("worker", "runtime");

/** Who the worker is, for Capabilities and the registry. */
export interface WorkerIdentity {
  name: string;
  version: string;
  /** `host:port` clients dial (advertised in the registry). */
  address: string;
  defaultModel: string;
  /** Unix epoch ms. */
  startedAt: number;
  /** `host:port` of the Prometheus listener, when there is one. */
  metricsAddress?: string;
  /** How clients must dial the gRPC port (see `WorkerLinkMode`). */
  tls: WorkerLinkMode;
  /** What was configured but is not served, and why (see `model_choice.ts`); published in the registry record. */
  modelFallback?: ModelFallback;
}

/** Live state shared by the gRPC service, the shutdown sequence and the registry snapshot. */
export class WorkerCore implements SynthesisContext {
  readonly streams = new Set<SynthesisStream>();
  /** Called when sessions or resident models changed (the worker re-publishes its registry record). */
  onLoadChanged: () => void = () => {};
  /** Where synthesis streams report latency and output (set by `startWorker`). */
  metrics: WorkerMetrics | null = null;
  #draining: string | null = null;
  #catalogue: ModelDescriptor[] = [];

  constructor(
    readonly identity: WorkerIdentity,
    readonly adapter: TtsAdapter,
    readonly models: ModelManager,
    readonly sessions: SessionTable,
    readonly limits: WorkerLimits,
    readonly security: WorkerLinkSecurity = {},
  ) {}

  /** Throws UNAUTHENTICATED unless the call carries the `WORKER_RPC_SECRET` call credential (when one is set). */
  authorize(metadata: Metadata | undefined, rpc: string): void {
    const problem = rpcSecretProblem(metadata, this.security.rpcSecret, this.security.acceptedRpcSecret);
    if (problem) throw new RpcError(status.UNAUTHENTICATED, `${rpc}: ${problem}`);
  }

  /** Why new work is refused (the worker is shutting down), or null while serving. */
  refusal(): string | null {
    return this.#draining;
  }

  /** Starts refusing new sessions and streams with UNAVAILABLE and this reason. */
  drain(reason: string): void {
    this.#draining ??= `worker "${this.identity.name}" is shutting down (${reason}); use another worker`;
  }

  /** Re-reads the adapter's catalogue (voicepacks may appear on disk); keeps the last one on failure. */
  async refreshCatalogue(): Promise<ModelDescriptor[]> {
    try {
      this.#catalogue = await this.adapter.listModels();
    } catch (error) {
      log.warn("listing the {adapter} catalogue failed: {error}", { adapter: this.adapter.type, error });
    }
    return this.#catalogue;
  }

  /** Streams waiting for compute plus sessions and loads waiting for a model. */
  queueDepth(): number {
    let computing = 0;
    for (const stream of this.streams) if (stream.waitingForCompute) computing++;
    return computing + this.models.pendingAcquisitions;
  }

  /** Mean measured RTF over resident models that have one; 0 when none measured. */
  meanRtf(): number {
    const measured = this.models.status().map((m) => m.rtf).filter((rtf) => rtf > 0);
    return measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : 0;
  }

  /** Every model id the adapter can load or has resident. */
  availableModelIds(): string[] {
    return [...new Set([...this.#catalogue.map((m) => m.id), ...this.models.residentIds()])].sort();
  }

  /** The GetCapabilities answer. */
  capabilities(): Capabilities {
    const resident = this.models.status();
    const languages = new Set([...this.#catalogue, ...resident.map((m) => m.model.descriptor)].map((d) => d.language));
    return {
      workerName: this.identity.name,
      adapter: this.adapter.type,
      version: this.identity.version,
      streaming: true,
      sampleRate: WIRE_SAMPLE_RATE,
      frameMs: FRAME_MS,
      defaultModel: this.identity.defaultModel,
      residentModels: resident.map((m) => m.modelId),
      availableModels: this.availableModelIds(),
      activeSessions: this.sessions.size,
      maxSessions: this.sessions.maxSessions,
      queueDepth: this.queueDepth(),
      rtf: this.meanRtf(),
      languages: [...languages].filter(Boolean).sort(),
      supportsPause: true,
      device: this.adapter.device,
    };
  }

  /** ModelInfo for every catalogued or resident model. */
  modelInfos(): ModelInfo[] {
    const resident = new Map(this.models.status().map((m) => [m.modelId, m]));
    const descriptors = new Map(this.#catalogue.map((d) => [d.id, d]));
    for (const m of resident.values()) descriptors.set(m.modelId, m.model.descriptor);
    return [...descriptors.values()].sort((a, b) => a.id.localeCompare(b.id)).map((d) =>
      this.modelInfo(d, resident.get(d.id))
    );
  }

  /** ModelInfo of one model. */
  modelInfo(descriptor: ModelDescriptor, resident?: ResidentModelStatus): ModelInfo {
    return {
      modelId: descriptor.id,
      adapter: descriptor.adapter,
      language: descriptor.language,
      nativeSampleRate: descriptor.nativeSampleRate,
      numSpeakers: descriptor.numSpeakers,
      loaded: resident !== undefined,
      refcount: resident?.refcount ?? 0,
      rtf: resident?.rtf ?? 0,
      loadedAtMs: resident?.loadedAtMs ?? 0,
      description: descriptor.description ?? "",
    };
  }

  /** Whether the catalogue (or the resident set) knows this model id. */
  knowsModel(modelId: string): boolean {
    return this.#catalogue.some((m) => m.id === modelId) || this.models.residentIds().includes(modelId);
  }

  /** The registry record (heartbeatAt is filled in by the registration). */
  record(): WorkerRecord {
    const caps = this.capabilities();
    return {
      name: this.identity.name,
      address: this.identity.address,
      ...(this.identity.metricsAddress ? { metricsAddress: this.identity.metricsAddress } : {}),
      ...(this.identity.modelFallback ? { modelFallback: this.identity.modelFallback } : {}),
      adapter: this.adapter.type,
      tls: this.identity.tls,
      version: this.identity.version,
      startedAt: this.identity.startedAt,
      heartbeatAt: Date.now(),
      defaultModel: this.identity.defaultModel,
      residentModels: caps.residentModels,
      availableModels: caps.availableModels,
      capabilities: {
        streaming: caps.streaming,
        sampleRate: caps.sampleRate,
        frameMs: caps.frameMs,
        languages: caps.languages,
        supportsPause: caps.supportsPause,
        device: caps.device,
      },
      load: {
        activeSessions: caps.activeSessions,
        maxSessions: caps.maxSessions,
        queueDepth: caps.queueDepth,
        rtf: caps.rtf,
      },
    };
  }
}
