/**
 * The tts.v1.TTSService handlers. Each handler validates its request and answers with the right gRPC status and a
 * message naming the problem; no request can take the worker down.
 *
 * @module
 */
import { type sendUnaryData, type ServerUnaryCall, status } from "@grpc/grpc-js";
import {
  ControlCommand,
  type ControlRequest,
  type ControlResponse,
  type TTSServiceServer,
} from "../../proto/gen/tts.ts";
import { FRAME_MS, WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { contextFromMetadata, withLogContext } from "../../shared/log/context.ts";
import { isModelId } from "../../shared/config/fields.ts";
import { audit } from "../../shared/log/audit.ts";
import { getLogger } from "../../shared/log/mod.ts";
import { RpcError, statusName, toRpcError, toServiceError } from "./rpc_error.ts";
import { Session } from "./session.ts";
import { checkAgainstModel, toSynthesisOptions } from "./session_options.ts";
import { validateSessionId } from "./session_table.ts";
import { SynthesisStream } from "./synthesis_stream.ts";
import type { WorkerCore } from "./worker_core.ts";

const log = getLogger("worker", "rpc");

/** Most session ids one RenewSessions call may name (a worker holds at most WORKER_MAX_SESSIONS anyway). */
const MAX_RENEW_IDS = 10_000;

/** RPCs that change what the worker serves for everyone: each call is written to the audit stream. */
const ADMIN_RPCS = new Set(["LoadModel", "UnloadModel"]);

/**
 * Wraps an async handler as a grpc-js unary handler that checks the call credential first and maps every error to
 * its status.
 */
function unary<Req, Res>(core: WorkerCore, name: string, handler: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    // The orchestrator's session and request ids (gRPC metadata) go on every line this call logs.
    const context = contextFromMetadata((key) => call.metadata.get(key)[0]);
    const run = async () => {
      try {
        core.authorize(call.metadata, name);
      } catch (error) {
        audit({ action: "rpc.denied", outcome: "denied", target: name, client: call.getPeer(), via: "grpc" });
        throw error;
      }
      const response = await handler(call.request);
      if (ADMIN_RPCS.has(name)) {
        audit({ action: "admin.rpc", outcome: "ok", target: name, client: call.getPeer(), via: "grpc" });
      }
      return response;
    };
    withLogContext(context, run).then(
      (response) => callback(null, response),
      (error) => {
        const rpc = toRpcError(error);
        const level = rpc.code === status.INTERNAL ? "error" : "debug";
        log[level]("{rpc} failed with {status}: {message}", {
          rpc: name,
          status: statusName(rpc.code),
          message: rpc.message,
        });
        callback(toServiceError(rpc), null);
      },
    );
  };
}

function refuseWhileDraining(core: WorkerCore): void {
  const refusal = core.refusal();
  if (refusal) throw new RpcError(status.UNAVAILABLE, refusal);
}

function requireModelId(modelId: string, where: string): void {
  if (!modelId) throw new RpcError(status.INVALID_ARGUMENT, `${where}: model_id is required`);
  checkModelId(modelId, where);
}

/**
 * Model ids become file paths in some adapters (a Piper voice folder): only plain names get that far, never a path
 * or `..`, whoever sends them.
 */
function checkModelId(modelId: string, where: string): void {
  if (!isModelId(modelId)) {
    throw new RpcError(
      status.INVALID_ARGUMENT,
      `${where}: model_id is invalid (use 1..128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit, no ..)`,
    );
  }
}

async function control(core: WorkerCore, request: ControlRequest): Promise<ControlResponse> {
  validateSessionId(request.sessionId, "Control");
  const session = core.sessions.get(request.sessionId);
  let applied: boolean;
  switch (request.command) {
    case ControlCommand.CONTROL_COMMAND_PAUSE:
      applied = session.pause();
      break;
    case ControlCommand.CONTROL_COMMAND_RESUME:
      applied = session.resume();
      break;
    case ControlCommand.CONTROL_COMMAND_STOP:
      applied = await session.stop();
      break;
    case ControlCommand.CONTROL_COMMAND_RELOAD:
      await core.models.reload(session.modelId);
      audit({ action: "admin.rpc", outcome: "ok", target: "Control RELOAD", via: "grpc" });
      applied = true;
      break;
    default: {
      const shown = request.command === ControlCommand.CONTROL_COMMAND_UNSPECIFIED ? "UNSPECIFIED" : request.command;
      throw new RpcError(
        status.INVALID_ARGUMENT,
        `Control: command ${shown} is not one of PAUSE, RESUME, STOP, RELOAD`,
      );
    }
  }
  return { applied, state: session.state };
}

/** Builds the TTSService implementation over the worker's live state. */
export function createTtsService(core: WorkerCore): TTSServiceServer {
  return {
    startSession: unary(core, "StartSession", async (request) => {
      refuseWhileDraining(core);
      validateSessionId(request.sessionId, "StartSession");
      if (request.modelId) checkModelId(request.modelId, "StartSession");
      const options = toSynthesisOptions(request.options);
      const modelId = request.modelId || core.identity.defaultModel;
      const giveBack = core.sessions.reserve(request.sessionId);
      try {
        const lease = await core.models.acquire(modelId);
        try {
          refuseWhileDraining(core);
          checkAgainstModel(options, lease.descriptor);
        } catch (error) {
          lease.release();
          throw error;
        }
        core.sessions.add(new Session(request.sessionId, lease, options));
        core.onLoadChanged();
        log.info("session {worker_session_id} started on {model_id} (model wait {load_ms} ms)", {
          worker_session_id: request.sessionId,
          model_id: modelId,
          load_ms: Math.round(lease.loadMs),
        });
        return {
          sessionId: request.sessionId,
          modelId,
          sampleRate: WIRE_SAMPLE_RATE,
          frameMs: FRAME_MS,
          loadMs: lease.loadMs,
          leaseMs: core.limits.sessionLeaseMs,
        };
      } finally {
        giveBack();
      }
    }),

    renewSessions: unary(core, "RenewSessions", (request) => {
      if (request.sessionIds.length > MAX_RENEW_IDS) {
        throw new RpcError(
          status.INVALID_ARGUMENT,
          `RenewSessions: ${request.sessionIds.length} ids; at most ${MAX_RENEW_IDS} per call`,
        );
      }
      const unknown: string[] = [];
      for (const id of request.sessionIds) {
        const session = core.sessions.find(id);
        if (session) session.renew();
        else unknown.push(id);
      }
      return Promise.resolve({ unknownSessionIds: unknown, leaseMs: core.limits.sessionLeaseMs });
    }),

    endSession: unary(core, "EndSession", async (request) => {
      validateSessionId(request.sessionId, "EndSession");
      const session = core.sessions.get(request.sessionId);
      core.sessions.remove(session.id);
      await session.end(new RpcError(status.CANCELLED, `session "${session.id}" ended by EndSession`));
      core.onLoadChanged();
      return { ended: true };
    }),

    synthesize: (call) => new SynthesisStream(call, core).attach(),

    control: unary(core, "Control", (request) => control(core, request)),

    listModels: unary(core, "ListModels", async () => {
      await core.refreshCatalogue();
      return { models: core.modelInfos() };
    }),

    loadModel: unary(core, "LoadModel", async (request) => {
      refuseWhileDraining(core);
      requireModelId(request.modelId, "LoadModel");
      const { loadMs } = await core.models.ensureLoaded(request.modelId);
      core.onLoadChanged();
      const resident = core.models.status().find((m) => m.modelId === request.modelId);
      if (!resident) throw new RpcError(status.ABORTED, `model "${request.modelId}" was unloaded right after loading`);
      return { model: core.modelInfo(resident.model.descriptor, resident), loadMs };
    }),

    unloadModel: unary(core, "UnloadModel", async (request) => {
      requireModelId(request.modelId, "UnloadModel");
      if (!core.models.residentIds().includes(request.modelId)) {
        await core.refreshCatalogue();
        if (!core.knowsModel(request.modelId)) {
          throw new RpcError(status.NOT_FOUND, `UnloadModel: model "${request.modelId}" not found`);
        }
        return { unloaded: false };
      }
      if (request.force) {
        // Holders lose their model, so their sessions end; their clients start new ones (possibly elsewhere).
        const reason = new RpcError(status.ABORTED, `model "${request.modelId}" was unloaded (force); session ended`);
        await Promise.all(
          core.sessions.holdersOf(request.modelId).map((session) => {
            core.sessions.remove(session.id);
            return session.end(reason);
          }),
        );
      }
      const unloaded = await core.models.unload(request.modelId, { force: request.force });
      core.onLoadChanged();
      return { unloaded };
    }),

    getCapabilities: unary(core, "GetCapabilities", async () => {
      await core.refreshCatalogue();
      return core.capabilities();
    }),
  };
}
