/**
 * Placement of LiveKit rooms by LiveKit's own agent dispatch: the token service asks LiveKit for an explicit dispatch
 * of the agent into the new room (`AgentDispatchService.CreateDispatch`), and LiveKit hands the job to one of the
 * registered orchestrators ({@linkcode LiveKitAgentWorker}), weighted by their reported load. The room's ticket and
 * the user's session options travel in the dispatch metadata; the orchestrator that gets the job joins with them.
 *
 * @module
 */
import { z } from "zod";
import { AgentDispatchClient } from "livekit-server-sdk";
import { SessionStartSchema } from "../../shared/protocol/client_messages.ts";
import type { RoomInvite } from "../transports/livekit/room_agent.ts";
import type { LiveKitCredentials } from "../transports/livekit/tokens.ts";
import type { RoomDispatcher } from "../transports/livekit/transport.ts";
import type { AssignedJob } from "./agent_worker.ts";

const MetadataSchema = z.strictObject({
  v: z.literal(1),
  userIdentity: z.string().min(1).max(200),
  principal: z.string().min(1).max(200),
  start: SessionStartSchema,
});

/** Hands rooms to LiveKit's agent dispatch instead of joining them here. */
export class LiveKitAgentDispatch implements RoomDispatcher {
  readonly #client: AgentDispatchClient;

  /** `url`: LiveKit's API (`http(s)://` or `ws(s)://`, the same node the orchestrator uses). */
  constructor(url: string, credentials: LiveKitCredentials, readonly agentName: string) {
    this.#client = new AgentDispatchClient(url.replace(/^ws/, "http"), credentials.apiKey, credentials.apiSecret);
  }

  async dispatch(invite: RoomInvite): Promise<void> {
    const metadata: z.infer<typeof MetadataSchema> = {
      v: 1,
      userIdentity: invite.ticket.userIdentity,
      principal: invite.principal,
      start: invite.start,
    };
    await this.#client.createDispatch(invite.ticket.roomName, this.agentName, { metadata: JSON.stringify(metadata) });
  }
}

/** The invite a dispatched job carries; throws naming the problem when its metadata is not ours. */
export function inviteFromJob(job: AssignedJob): RoomInvite {
  let value: unknown;
  try {
    value = JSON.parse(job.metadata);
  } catch {
    throw new Error(`job ${job.id} carries no JSON metadata: was it dispatched by this service's token endpoint?`);
  }
  const parsed = MetadataSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`job ${job.id} has unusable metadata: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  if (!job.roomName) throw new Error(`job ${job.id} names no room`);
  const { userIdentity, principal, start } = parsed.data;
  return { ticket: { roomName: job.roomName, userIdentity }, principal, start };
}
