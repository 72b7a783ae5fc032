/**
 * A deliberately slow wrapper around a real adapter (the mock): every audio chunk takes `chunkDelayMs` to
 * "compute" and loads take `loadDelayMs`, and it records when each chunk was produced. Used to prove that frames
 * leave the worker while synthesis is still running, and to make loads overlap. `failLoads` and `failOnText`
 * simulate broken weights and a crashing inference.
 *
 * @module
 */
import type {
  AudioChunk,
  LoadedModel,
  ModelDescriptor,
  SynthesisOptions,
  TextPiece,
  TtsAdapter,
} from "../../../workers/runtime/adapter.ts";
import { abortableDelay } from "../../../workers/runtime/abortable.ts";

/** What the slow adapter observed. */
export interface SlowAdapterLog {
  /** `performance.now()` each time a chunk was handed to the runtime. */
  producedAt: number[];
  /** Ids passed to `load`, in call order. */
  loads: string[];
  /** Loads running right now and the most that ever ran at once. */
  loading: number;
  maxConcurrentLoads: number;
  disposed: string[];
  warmups: string[];
}

/** Wraps `inner` so that chunks and loads are slow and observable. */
export function slowAdapter(
  inner: TtsAdapter,
  options: { chunkDelayMs?: number; loadDelayMs?: number; failLoads?: Set<string>; failOnText?: string } = {},
): TtsAdapter & { log: SlowAdapterLog } {
  const log: SlowAdapterLog = {
    producedAt: [],
    loads: [],
    loading: 0,
    maxConcurrentLoads: 0,
    disposed: [],
    warmups: [],
  };
  const wrap = (model: LoadedModel): LoadedModel => ({
    descriptor: model.descriptor,
    warmup: () => {
      log.warmups.push(model.descriptor.id);
      return model.warmup();
    },
    rtf: () => model.rtf(),
    dispose: () => {
      log.disposed.push(model.descriptor.id);
      return model.dispose();
    },
    async *synthesize(input: AsyncIterable<TextPiece>, opts: SynthesisOptions, signal: AbortSignal) {
      const failOn = options.failOnText;
      const watched = failOn ? failingOn(input, failOn) : input;
      for await (const chunk of model.synthesize(watched, opts, signal) as AsyncIterable<AudioChunk>) {
        if (options.chunkDelayMs) await abortableDelay(options.chunkDelayMs, signal).catch(() => {});
        if (signal.aborted) return;
        log.producedAt.push(performance.now());
        yield chunk;
      }
    },
  });
  return {
    type: inner.type,
    device: inner.device,
    log,
    listModels: (): Promise<ModelDescriptor[]> => inner.listModels(),
    async load(modelId: string): Promise<LoadedModel> {
      log.loads.push(modelId);
      log.loading++;
      log.maxConcurrentLoads = Math.max(log.maxConcurrentLoads, log.loading);
      try {
        if (options.loadDelayMs) await new Promise((r) => setTimeout(r, options.loadDelayMs));
        if (options.failLoads?.has(modelId)) throw new Error(`weights of ${modelId} are corrupt (simulated)`);
        return wrap(await inner.load(modelId));
      } finally {
        log.loading--;
      }
    },
  };
}

/** Passes text through, throwing (like a crashing inference) when a piece contains `marker`. */
async function* failingOn(input: AsyncIterable<TextPiece>, marker: string): AsyncGenerator<TextPiece> {
  for await (const piece of input) {
    if (piece.text.includes(marker)) throw new Error(`inference crashed on "${marker}" (simulated)`);
    yield piece;
  }
}
