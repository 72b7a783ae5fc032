/**
 * The session's way back to a LiveKit user: agent frames go to the agent's audio track, events go to the data
 * channel as the same JSON the WebSocket transport sends, and a close becomes a close notice followed by the agent
 * leaving the room. Implements {@linkcode AgentOutput} over a small {@linkcode AgentLink} so the rules (what is sent
 * when, what a close means) do not depend on the LiveKit SDK.
 *
 * @module
 */
import { FRAME_BYTES } from "../../../shared/audio/format.ts";
import { getLogger } from "../../../shared/log/mod.ts";
import { CloseCode, type ErrorCode } from "../../../shared/protocol/limits.ts";
import type { ServerEvent } from "../../../shared/protocol/server_events.ts";
import type { AgentOutput } from "../contract.ts";
import { type CloseNotice, encodeJson, EVENTS_TOPIC } from "../../../shared/protocol/data_channel.ts";

const log = getLogger("orchestrator", "livekit");

/** What the output needs from the room the agent is in. */
export interface AgentLink {
  /** True while the agent is in the room. */
  readonly connected: boolean;
  /** Sends a reliable data packet to the user (fire and forget: failures are logged by the link). */
  publish(topic: string, payload: Uint8Array): void;
  /** Queues 20 ms of 48 kHz s16 mono audio on the agent's track; false when dropped (queue full or closed). */
  captureAudio(samples: Int16Array): boolean;
  /** Drops the audio queued on the agent's track that has not been played out yet. */
  clearAudio(): void;
  /** Sends `notice` on the close topic, then leaves the room. */
  leave(notice: CloseNotice): void;
}

/** The session output of one LiveKit user. */
export class LiveKitAgentOutput implements AgentOutput {
  readonly connectionId: string;
  #link: AgentLink;
  #closed = false;

  constructor(connectionId: string, link: AgentLink) {
    this.connectionId = connectionId;
    this.#link = link;
  }

  get open(): boolean {
    return !this.#closed && this.#link.connected;
  }

  sendAudio(frame: Uint8Array): boolean {
    if (!this.open) return false;
    if (frame.byteLength !== FRAME_BYTES) {
      // Only whole 20 ms frames keep the track's timing right; anything else is a bug upstream.
      log.warn("dropping an agent frame of {bytes} bytes on {id} (expected {expected})", {
        bytes: frame.byteLength,
        id: this.connectionId,
        expected: FRAME_BYTES,
      });
      return false;
    }
    // Copy into an aligned buffer: the frame may be a view at an odd offset, and the SDK reads it later.
    const samples = new Int16Array(FRAME_BYTES / 2);
    new Uint8Array(samples.buffer).set(frame);
    return this.#link.captureAudio(samples);
  }

  sendEvent(event: ServerEvent): void {
    if (!this.open) return;
    this.#link.publish(EVENTS_TOPIC, encodeJson(event));
  }

  /** A stopped response must stop what the user hears now, not after the track's queue drains. */
  clearAudio(): void {
    if (this.open) this.#link.clearAudio();
  }

  fail(code: ErrorCode, message: string, options: { fatal?: boolean; closeCode?: number } = {}): void {
    const fatal = options.fatal ?? true;
    this.sendEvent({ type: "error", code, message, fatal });
    if (fatal) this.close(options.closeCode ?? CloseCode.policyViolation, code);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#link.clearAudio();
    this.#link.leave({ code, reason: reason.slice(0, 120) });
  }

  /** Marks the output closed without notifying anyone (the user already left). */
  markClosed(): void {
    this.#closed = true;
  }
}
