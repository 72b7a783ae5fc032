/**
 * Shared pieces of the VAD tests: the options under test and a driver that feeds a stream like a live transport.
 *
 * @module
 */
import type { VadEvent, VadOptions, VadStream } from "../../../orchestrator/vad/contract.ts";
import { chunked } from "../../../harness/speech.ts";

/** The orchestrator's default VAD settings (see VAD_* in .env.example). */
export const DEFAULT_OPTIONS: VadOptions = { threshold: 0.5, minSpeechMs: 100, minSilenceMs: 300, speechPadMs: 30 };

/** An event plus the stream position (ms of audio pushed) when it came out. */
export interface TimedEvent extends VadEvent {
  emittedAtMs: number;
}

/** Pushes `samples` (16 kHz) in `chunk`-sized pieces, awaiting each, and collects the events. */
export async function feed(stream: VadStream, samples: Float32Array, chunk = 320): Promise<TimedEvent[]> {
  const events: TimedEvent[] = [];
  let pushed = 0;
  for (const piece of chunked(samples, chunk)) {
    pushed += piece.length;
    for (const event of await stream.push(piece)) events.push({ ...event, emittedAtMs: pushed / 16 });
  }
  return events;
}

/** One line per event, for assertion messages. */
export function show(events: VadEvent[]): string {
  return events.map((e) => `${e.type}@${e.streamMs.toFixed(0)}`).join(" ") || "(no events)";
}
