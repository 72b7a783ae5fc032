/**
 * The mock TTS adapter: a product feature for demos, CPU-only setups and end-to-end tests without model files.
 *
 * Model ids are `mock-<N>hz` for any whole N from 20 to 20000 (`mock-440hz` is the usual one); each "voice" speaks a
 * sine of that frequency, generated directly at 48 kHz. The audio lasts {@linkcode MOCK_MS_PER_CHAR} ms per UTF-16
 * character of text (divided by the session's speed) and is yielded in {@linkcode MOCK_CHUNK_MS} ms chunks, so
 * streaming, pausing and stopping behave as with a real model. The phase runs on across chunks and text pieces, so
 * an utterance is one continuous tone without clicks.
 *
 * @module
 */
import { WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import {
  type AudioChunk,
  type LoadedModel,
  type ModelDescriptor,
  ModelNotFoundError,
  type SynthesisOptions,
  type TextPiece,
  type TtsAdapter,
} from "../runtime/adapter.ts";
import { nextOrAbort } from "../runtime/abortable.ts";

/** Audio per character of text at speed 1. */
export const MOCK_MS_PER_CHAR = 60;
/** Audio per yielded chunk. */
export const MOCK_CHUNK_MS = 100;
/** Peak amplitude as a fraction of full scale (quiet enough to be pleasant in a demo). */
export const MOCK_AMPLITUDE = 0.3;
/** Frequencies listed in the catalogue; any other `mock-<N>hz` in range loads too. */
export const MOCK_CATALOGUE_HZ = [220, 440, 880] as const;
/** Accepted frequency range of `mock-<N>hz`. */
export const MOCK_HZ_RANGE = { min: 20, max: 20_000 } as const;

const CHUNK_SAMPLES = (WIRE_SAMPLE_RATE * MOCK_CHUNK_MS) / 1000;

/** The frequency of a mock model id, or null when the id is not a valid `mock-<N>hz`. */
export function mockFrequency(modelId: string): number | null {
  const match = /^mock-(\d{1,5})hz$/.exec(modelId);
  if (!match) return null;
  const hz = Number(match[1]);
  return hz >= MOCK_HZ_RANGE.min && hz <= MOCK_HZ_RANGE.max ? hz : null;
}

/** Samples the mock speaks for `text` at `speed`. */
export function mockSampleCount(text: string, speed = 1): number {
  return Math.round((text.length * MOCK_MS_PER_CHAR * WIRE_SAMPLE_RATE) / 1000 / speed);
}

function describe(hz: number): ModelDescriptor {
  return {
    id: `mock-${hz}hz`,
    adapter: "mock",
    language: "en-US",
    nativeSampleRate: WIRE_SAMPLE_RATE,
    numSpeakers: 1,
    description: `mock voice: ${hz} Hz sine, ${MOCK_MS_PER_CHAR} ms per character`,
  };
}

/** A sine "voice" at one frequency. Stateless between calls: each synthesis keeps its own phase. */
class MockModel implements LoadedModel {
  readonly descriptor: ModelDescriptor;
  #computeMs = 0;
  #audioMs = 0;

  constructor(readonly hz: number) {
    this.descriptor = describe(hz);
  }

  async warmup(): Promise<void> {
    const input = (async function* () {
      yield { text: "warm up", start: 0, end: 7 } satisfies TextPiece;
    })();
    for await (const _ of this.synthesize(input, {}, new AbortController().signal)) { /* discard */ }
  }

  async *synthesize(
    input: AsyncIterable<TextPiece>,
    options: SynthesisOptions,
    signal: AbortSignal,
  ): AsyncGenerator<AudioChunk> {
    const speed = options.speed ?? 1;
    const step = (2 * Math.PI * this.hz) / WIRE_SAMPLE_RATE;
    const amplitude = MOCK_AMPLITUDE * 32767;
    const pieces = input[Symbol.asyncIterator]();
    let phase = 0;
    try {
      while (!signal.aborted) {
        const next = await nextOrAbort(pieces, signal);
        if (next.done) return;
        const piece = next.value;
        let remaining = mockSampleCount(piece.text, speed);
        while (remaining > 0) {
          if (signal.aborted) return;
          const started = performance.now();
          const pcm = new Int16Array(Math.min(CHUNK_SAMPLES, remaining));
          for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin(phase + step * i));
          phase = (phase + step * pcm.length) % (2 * Math.PI);
          remaining -= pcm.length;
          this.#computeMs += performance.now() - started;
          this.#audioMs += (pcm.length * 1000) / WIRE_SAMPLE_RATE;
          yield { pcm, textStart: piece.start, textEnd: piece.end };
        }
      }
    } finally {
      // Not awaited: the input may be parked waiting for text, and the caller must not wait on a quiet client.
      pieces.return?.().catch(() => {});
    }
  }

  rtf(): number {
    return this.#audioMs > 0 ? this.#computeMs / this.#audioMs : 0;
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

/** The mock adapter family: `mock-<N>hz` sine voices, always available, CPU only. */
export class MockAdapter implements TtsAdapter {
  readonly type = "mock" as const;
  readonly device = "cpu";

  listModels(): Promise<ModelDescriptor[]> {
    return Promise.resolve(MOCK_CATALOGUE_HZ.map(describe));
  }

  load(modelId: string): Promise<LoadedModel> {
    const hz = mockFrequency(modelId);
    if (hz === null) {
      return Promise.reject(
        new ModelNotFoundError(
          modelId,
          `mock model ids are mock-<N>hz with N from ${MOCK_HZ_RANGE.min} to ${MOCK_HZ_RANGE.max}, e.g. mock-440hz`,
        ),
      );
    }
    return Promise.resolve(new MockModel(hz));
  }
}
