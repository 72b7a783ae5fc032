/**
 * Turns LiveKit agent dispatch on from config (`LIVEKIT_AGENT_NAME`): registers this orchestrator as an agent worker
 * that joins the rooms LiveKit dispatches to it, and gives the token service a dispatcher that asks LiveKit for a
 * dispatch instead of joining the room here.
 *
 * @module
 */
import type { OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import { getLogger } from "../../shared/log/mod.ts";
import { AGENT_IDENTITY } from "../transports/livekit/tokens.ts";
import type { LiveKitTransport, RoomDispatcher } from "../transports/livekit/transport.ts";
import { LiveKitAgentWorker } from "./agent_worker.ts";
import { inviteFromJob, LiveKitAgentDispatch } from "./room_dispatch.ts";

const log = getLogger("orchestrator", "dispatch");

/** Agent dispatch, when configured. */
export interface AgentDispatch {
  /** For the token service: hands new rooms to LiveKit's dispatch. */
  dispatcher: RoomDispatcher;
  worker: LiveKitAgentWorker;
}

/** Starts agent dispatch when `LIVEKIT_AGENT_NAME` is set and LiveKit runs; null otherwise. */
export function startAgentDispatch(
  config: Pick<
    OrchestratorConfig,
    "LIVEKIT_AGENT_NAME" | "LIVEKIT_AGENT_CAPACITY" | "LIVEKIT_API_KEY" | "LIVEKIT_API_SECRET"
  >,
  livekit: LiveKitTransport | null,
  sessionCount: () => number,
): AgentDispatch | null {
  const name = config.LIVEKIT_AGENT_NAME;
  if (!name || !livekit || !config.LIVEKIT_API_KEY || !config.LIVEKIT_API_SECRET) return null;
  const credentials = { apiKey: config.LIVEKIT_API_KEY, apiSecret: config.LIVEKIT_API_SECRET };
  const capacity = config.LIVEKIT_AGENT_CAPACITY;
  const worker = new LiveKitAgentWorker({
    url: livekit.url,
    credentials,
    agentName: name,
    identity: AGENT_IDENTITY,
    load: () => Math.max(livekit.connectionCount(), sessionCount()) / capacity,
    onJob: (job) => livekit.dispatch(inviteFromJob(job)),
  });
  worker.start().catch((error) => log.warn("LiveKit agent dispatch: {error}", { error: (error as Error).message }));
  log.info("LiveKit agent dispatch: rooms go to the least-loaded orchestrator registered as {name}", { name });
  return { dispatcher: new LiveKitAgentDispatch(livekit.url, credentials, name), worker };
}
