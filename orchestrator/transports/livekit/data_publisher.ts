/**
 * Publishes the agent's data packets to its one user. A packet above {@linkcode MAX_PACKET_BYTES} (LiveKit's SFU drops
 * reliable packets above about 15 KiB, e.g. the `response.done` of a very long answer) goes in parts on
 * {@linkcode PARTS_TOPIC}; all packets are handed to LiveKit in the order they were published.
 *
 * @module
 */
import type { LocalParticipant } from "@livekit/rtc-node";
import { EVENTS_TOPIC, MAX_PACKET_BYTES } from "../../../shared/protocol/data_channel.ts";
import { PARTS_TOPIC, splitIntoParts } from "../../../shared/protocol/packet_parts.ts";

/** Where packets go and what to do with one that could not be sent. */
export interface DataPublisherOptions {
  /** The agent's participant while connected, undefined otherwise (packets are then dropped). */
  participant(): LocalParticipant | undefined;
  /** Identity of the user the packets are for (nobody else in the room gets them). */
  userIdentity: string;
  /** Called with the error of a packet that was not sent. */
  onError(error: unknown): void;
  /** Largest packet sent whole (tests lower it). */
  maxPacketBytes?: number;
}

/** Publishing of one agent's data packets. */
export class DataPublisher {
  readonly #options: DataPublisherOptions;
  #last: Promise<void> = Promise.resolve();
  #messageId = 0;

  constructor(options: DataPublisherOptions) {
    this.#options = options;
  }

  /** Settles once the most recent packet has been handed to LiveKit (or failed). */
  get flushed(): Promise<void> {
    return this.#last;
  }

  /** Publishes `payload` on `topic`, reliably, to the user; in parts when it is too large for one packet. */
  publish(topic: string, payload: Uint8Array): void {
    const max = this.#options.maxPacketBytes ?? MAX_PACKET_BYTES;
    if (payload.byteLength <= max) {
      this.#send(topic, payload);
      return;
    }
    if (topic !== EVENTS_TOPIC) {
      // Only server events are ever this large; anything else would be a bug, reported rather than sent broken.
      this.#options.onError(new RangeError(`a ${payload.byteLength}-byte packet on ${topic} is too large to send`));
      return;
    }
    for (const part of splitIntoParts(++this.#messageId, payload, max)) this.#send(PARTS_TOPIC, part);
  }

  #send(topic: string, payload: Uint8Array): void {
    const participant = this.#options.participant();
    if (!participant) return;
    this.#last = participant.publishData(payload, {
      reliable: true,
      topic,
      destination_identities: [this.#options.userIdentity],
    }).catch((error) => this.#options.onError(error));
  }
}
