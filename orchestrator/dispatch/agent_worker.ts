/**
 * The orchestrator as a LiveKit agent worker: it registers with LiveKit over the agent protocol that LiveKit's own
 * agent frameworks speak (`/agent`, protobuf `WorkerMessage`/`ServerMessage` from `@livekit/protocol`), reports its
 * load, and accepts the jobs LiveKit dispatches to it. LiveKit picks a worker for each new room weighted by
 * `1 - load` among the workers that are not full (and, across nodes, the node with the most spare capacity), so
 * rooms land on the less-loaded orchestrators; a full orchestrator reports `WS_FULL` and gets none.
 *
 * Why the protocol and not `@livekit/agents`: the framework runs every job in a forked Node process with its own
 * STT/TTS/VAD pipeline; the orchestrator already has its session engine and its room agent and needs only placement.
 *
 * The connection is re-opened with capped backoff when it drops (a LiveKit node restarting); the jobs already running
 * are not affected (their rooms are separate connections).
 *
 * @module
 */
import {
  AvailabilityResponse,
  JobStatus,
  JobType,
  ServerMessage,
  UpdateJobStatus,
  UpdateWorkerStatus,
  WorkerMessage,
  WorkerPing,
  WorkerStatus,
} from "@livekit/protocol";
import { RegisterWorkerRequest } from "@livekit/protocol";
import { AccessToken } from "livekit-server-sdk";
import { getLogger } from "../../shared/log/mod.ts";
import type { LiveKitCredentials } from "../transports/livekit/tokens.ts";

const log = getLogger("orchestrator", "dispatch");

/** A job LiveKit assigned to this worker. */
export interface AssignedJob {
  id: string;
  roomName: string;
  /** The dispatch's metadata (what the dispatcher put there). */
  metadata: string;
}

/** Options of a {@linkcode LiveKitAgentWorker}. */
export interface AgentWorkerOptions {
  /** LiveKit node to register with, `ws(s)://host:7880`. */
  url: string;
  credentials: LiveKitCredentials;
  /** `LIVEKIT_AGENT_NAME`: dispatches name it. */
  agentName: string;
  /** Current load, 0 (idle) to 1 (full). */
  load: () => number;
  /** Accept the job: join its room. A rejection is reported to LiveKit as a failed job. */
  onJob: (job: AssignedJob) => Promise<void>;
  /** Participant identity the agent joins rooms with. */
  identity: string;
  /** Load reports and pings, default every 2 s. */
  statusIntervalMs?: number;
  version?: string;
}

/** A registered (or registering) agent worker. */
export class LiveKitAgentWorker {
  #options: AgentWorkerOptions;
  #socket: WebSocket | null = null;
  #workerId = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #backoffMs = 0;
  #closed = false;
  #lastStatus: WorkerStatus | null = null;
  #registered: Promise<void>;
  #resolveRegistered!: () => void;
  /** Jobs taken so far (for metrics and tests). */
  jobs = 0;

  constructor(options: AgentWorkerOptions) {
    this.#options = options;
    this.#registered = new Promise((resolve) => this.#resolveRegistered = resolve);
  }

  /** The id LiveKit gave this worker, "" until registered. */
  get workerId(): string {
    return this.#workerId;
  }

  /** Connects and registers; resolves once LiveKit confirmed the registration the first time. */
  start(timeoutMs = 15_000): Promise<void> {
    void this.#connect();
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      this.#registered,
      new Promise<never>((_, reject) =>
        timer = setTimeout(
          () =>
            reject(
              new Error(`LiveKit at ${this.#options.url} did not confirm the agent worker within ${timeoutMs} ms`),
            ),
          timeoutMs,
        )
      ),
    ]).finally(() => clearTimeout(timer));
  }

  /** Sends the current load and status now (after a room starts or ends). */
  reportLoad(): void {
    const load = Math.min(1, Math.max(0, this.#options.load()));
    const status = load >= 1 ? WorkerStatus.WS_FULL : WorkerStatus.WS_AVAILABLE;
    if (status !== this.#lastStatus) {
      log.info("agent worker {status} (load {load})", { status: WorkerStatus[status], load });
    }
    this.#lastStatus = status;
    this.#send(
      new WorkerMessage({
        message: { case: "updateWorker", value: new UpdateWorkerStatus({ status, load, jobCount: this.jobs }) },
      }),
    );
  }

  /** Tells LiveKit a job's room is over. */
  jobEnded(jobId: string, error?: string): void {
    this.#send(
      new WorkerMessage({
        message: {
          case: "updateJob",
          value: new UpdateJobStatus({ jobId, status: error ? JobStatus.JS_FAILED : JobStatus.JS_SUCCESS, error }),
        },
      }),
    );
  }

  /** Deregisters (closes the connection) and stops reconnecting. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    this.#socket?.close(1000, "worker shutting down");
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const token = new AccessToken(this.#options.credentials.apiKey, this.#options.credentials.apiSecret, { ttl: 3600 });
    token.addGrant({ agent: true });
    const url = `${this.#options.url.replace(/\/$/, "")}/agent?access_token=${await token.toJwt()}`;
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.onopen = () => {
      this.#send(
        new WorkerMessage({
          message: {
            case: "register",
            value: new RegisterWorkerRequest({
              type: JobType.JT_ROOM,
              agentName: this.#options.agentName,
              version: this.#options.version ?? "voice-chat",
            }),
          },
        }),
      );
    };
    socket.onmessage = (event) => {
      try {
        this.#onMessage(ServerMessage.fromBinary(new Uint8Array(event.data as ArrayBuffer)));
      } catch (error) {
        log.warn("unreadable message from LiveKit's agent service: {error}", { error });
      }
    };
    socket.onclose = (event) => {
      clearInterval(this.#timer);
      if (this.#socket !== socket || this.#closed) return;
      this.#socket = null;
      this.#workerId = "";
      this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 250), 5_000);
      log.warn("agent worker connection to {url} closed ({code}); registering again in {ms} ms", {
        url: this.#options.url,
        code: event.code,
        ms: this.#backoffMs,
      });
      this.#retry = setTimeout(() => void this.#connect(), this.#backoffMs);
    };
    socket.onerror = () => {/* onclose follows */};
  }

  #onMessage(message: ServerMessage): void {
    const { case: kind, value } = message.message;
    if (kind === "register") {
      this.#workerId = value.workerId;
      this.#backoffMs = 0;
      log.info("registered with LiveKit as agent worker {id} ({name})", {
        id: value.workerId,
        name: this.#options.agentName,
      });
      this.reportLoad();
      clearInterval(this.#timer);
      this.#timer = setInterval(() => {
        this.reportLoad();
        this.#send(
          new WorkerMessage({ message: { case: "ping", value: new WorkerPing({ timestamp: BigInt(Date.now()) }) } }),
        );
      }, this.#options.statusIntervalMs ?? 2_000);
      this.#resolveRegistered();
    } else if (kind === "availability") {
      const job = value.job;
      const available = !!job && this.#options.load() < 1;
      this.#send(
        new WorkerMessage({
          message: {
            case: "availability",
            value: new AvailabilityResponse({
              jobId: job?.id ?? "",
              available,
              participantIdentity: this.#options.identity,
              participantName: "Agent",
            }),
          },
        }),
      );
    } else if (kind === "assignment") {
      const job = value.job;
      if (!job) return;
      this.jobs++;
      const assigned = { id: job.id, roomName: job.room?.name ?? "", metadata: job.metadata };
      log.info("LiveKit assigned room {room} (job {job})", { room: assigned.roomName, job: job.id });
      this.#options.onJob(assigned).then(
        () => this.reportLoad(),
        (error) => this.jobEnded(job.id, (error as Error).message),
      );
    } else if (kind === "termination") {
      log.info("LiveKit ended job {job}", { job: value.jobId });
    }
  }

  #send(message: WorkerMessage): void {
    if (this.#socket?.readyState !== WebSocket.OPEN) return;
    this.#socket.send(message.toBinary());
  }
}
