/**
 * The session under test, built from the fakes (VAD, ASR, TTS, clock) with settings a test can override.
 *
 * @module
 */
import assert from "node:assert/strict";
import { OrchestratorMetrics } from "../../../orchestrator/metrics/orchestrator_metrics.ts";
import type { Responder } from "../../../orchestrator/responder/contract.ts";
import { EchoResponder } from "../../../orchestrator/responder/echo.ts";
import { Session, type SessionSettings } from "../../../orchestrator/session/session.ts";
import { SpeechInput } from "../../../orchestrator/session/speech_input.ts";
import type { VadStream } from "../../../orchestrator/vad/contract.ts";
import { chunk16k, FakeAsrEngine, FakeClock, FakeTtsRouter, FakeVadStream, RecordingOutput, seqOf } from "./fakes.ts";

/** A long agent answer (the echo of it). */
export const LONG = "one two three four five six seven eight nine ten";
/** The fake TTS makes a frame per character pushed (the text plus its trailing space). */
export const LONG_FRAMES = LONG.length + 1;

/** A session with fakes; `audio(level, ms)` streams user audio in real time. */
export function setup(
  settings: Partial<SessionSettings> = {},
  responder: Responder = new EchoResponder(),
  vad: () => VadStream = () => new FakeVadStream(),
) {
  const clock = new FakeClock();
  const output = new RecordingOutput(clock);
  const asr = new FakeAsrEngine();
  const router = new FakeTtsRouter();
  const metrics = new OrchestratorMetrics(router);
  const session = new Session({
    id: "s1",
    output,
    clock,
    settings: {
      falseInterruptionMs: 700,
      bargeInGuardMs: 0,
      pacerLeadMs: 40,
      language: "en",
      model: "",
      voice: {},
      ...settings,
    },
    createSpeechInput: (listener) =>
      new SpeechInput({
        vad: vad(),
        asr,
        toSpeechRate: (samples) => Float32Array.from(samples, (v) => v / 32768),
        listener,
      }),
    responder,
    router,
    metrics,
  });
  /** Streams `ms` of audio at `level` in real time (20 ms chunks). */
  const audio = async (level: number, ms: number) => {
    for (let t = 0; t < ms; t += 20) {
      session.audio({ samples: chunk16k(level), sampleRate: 16_000 });
      await clock.advance(20);
    }
  };
  return { clock, output, asr, router, metrics, session, audio };
}

/** The sequence numbers of the agent frames sent, in order. */
export function seqs(output: RecordingOutput): number[] {
  return output.frames.map((f) => seqOf(f.pcm));
}

/** A session whose agent is speaking `LONG`, with a recognizer that gives no partials and holds finals until released. */
export async function agentSpeaking(): Promise<ReturnType<typeof setup>> {
  const parts = setup();
  parts.asr.partials = false;
  parts.asr.gateFinals = true;
  parts.session.text(LONG);
  await parts.clock.advance(300);
  assert.equal(parts.session.machine.state, "speaking");
  return parts;
}
