/**
 * The inference thread of one Piper model (a Web Worker). onnxruntime-node runs a model synchronously, which
 * would block the worker's event loop for the whole sentence — no frames sent, no PAUSE handled, other sessions
 * stalled — so each model runs here, and the main thread only exchanges messages with it.
 *
 * The model is cut at its waveform decoder when it can be (`decoder_split.ts`): a sentence then runs the encoder
 * once and the decoder piece by piece (`chunk_plan.ts`), and each piece's samples are posted as soon as they exist.
 * The pieces join into exactly the samples of one whole run.
 *
 * Messages in: `load` {path, device, intraOpThreads, split, strict?}, `run` {id, ids, scales, speakerId, plan}, `cancel` {id},
 * `dispose`. Out: `loaded` {device, inputs, streaming, splitProblem?, warning?}, `failed` {error} (load), `chunk`
 * {id, audio, last, computeMs} or `error` {id, error} (run), `disposed` (the session is released; the thread may then be
 * terminated without tearing down a live session).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import * as ort from "onnxruntime-node";
import { chunkPlan, type ChunkPlanOptions, type DecoderPace } from "./chunk_plan.ts";
import { type DecoderSplit, splitAtDecoder } from "./decoder_split.ts";
import { cudaProviderError, preloadCudaLibraries } from "../../shared/onnx/cuda_provider.ts";

/** A run request; `plan` null decodes the sentence in one piece. */
export interface RunRequest {
  type: "run";
  id: number;
  ids: number[];
  scales: [number, number, number];
  speakerId: number | null;
  plan: ChunkPlanOptions | null;
  /** The voice's sample rate, to weigh the decoder's speed against playback. */
  sampleRate: number;
}

/** A load request; `split` asks for the cut at the decoder. */
export interface LoadRequest {
  type: "load";
  path: string;
  device: "cpu" | "cuda";
  intraOpThreads: number;
  split: boolean;
  /** With `cuda`: a provider that cannot load fails the load instead of falling back to the CPU (`STRICT_CONFIG`). */
  strict?: boolean;
}

type Model =
  | { kind: "whole"; session: ort.InferenceSession }
  | { kind: "split"; encoder: ort.InferenceSession; decoder: ort.InferenceSession; names: DecoderSplit };

let model: Model | null = null;
/** The decoder's recent speed (ms per latent frame, smoothed over its runs) and its samples per frame. */
let decodeMsPerFrame: number | null = null;
let hopSamples: number | null = null;
/** Runs cancelled before they finished; ids grow, so a cancel of a run already done is ignored. */
const cancelled = new Set<number>();
let lastDone = 0;

const message = (error: unknown) => error instanceof Error ? error.message : String(error);

function create(bytes: Uint8Array, provider: "cpu" | "cuda", threads: number) {
  return ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
}

async function build(request: LoadRequest, provider: "cpu" | "cuda"): Promise<{ model: Model; problem?: string }> {
  const bytes = await Deno.readFile(request.path);
  const split = request.split ? splitAtDecoder(bytes) : { problem: "not asked for" };
  if ("problem" in split) {
    return { model: { kind: "whole", session: await create(bytes, provider, request.intraOpThreads) }, ...split };
  }
  const encoder = await create(split.encoder, provider, request.intraOpThreads);
  const decoder = await create(split.decoder, provider, request.intraOpThreads);
  return { model: { kind: "split", encoder, decoder, names: split } };
}

async function load(request: LoadRequest): Promise<void> {
  let warning: string | undefined;
  let device = "cpu";
  try {
    let built: { model: Model; problem?: string } | null = null;
    if (request.device === "cuda") {
      preloadCudaLibraries();
      try {
        built = await build(request, "cuda");
        device = "cuda:0";
      } catch (error) {
        const failure = cudaProviderError(request.path, error);
        if (request.strict) throw failure;
        warning = failure.message;
      }
    }
    built ??= await build(request, "cpu");
    model = built.model;
    const inputs = model.kind === "whole" ? model.session.inputNames : model.encoder.inputNames;
    self.postMessage({
      type: "loaded",
      device,
      inputs,
      streaming: model.kind === "split",
      splitProblem: built.problem,
      warning,
    });
  } catch (error) {
    self.postMessage({ type: "failed", error: message(error) });
  }
}

/** The samples of an output tensor: the last dimension, whatever the rank ([1,1,1,T] in Piper exports). */
function samplesOf(output: ort.Tensor): Float32Array<ArrayBuffer> {
  const samples = output.dims[output.dims.length - 1] ?? 0;
  const audio = (output.data as Float32Array).slice(0, samples);
  output.dispose?.();
  return audio;
}

/** Latent frames [from, to) of `z` ([1, channels, frames], channel-major) as a tensor of their own. */
function frames(z: ort.Tensor, from: number, to: number): ort.Tensor {
  const [, channels, total] = z.dims;
  if (from === 0 && to === total) return z;
  const data = z.data as Float32Array;
  const out = new Float32Array(channels * (to - from));
  for (let c = 0; c < channels; c++) out.set(data.subarray(c * total + from, c * total + to), c * (to - from));
  return new ort.Tensor("float32", out, [1, channels, to - from]);
}

function post(id: number, audio: Float32Array<ArrayBuffer>, last: boolean, computeMs: number): void {
  self.postMessage({ type: "chunk", id, audio, last, computeMs }, [audio.buffer]);
}

async function run(request: RunRequest): Promise<void> {
  const { id, ids, scales, speakerId } = request;
  try {
    if (!model) throw new Error("the model is not loaded");
    if (cancelled.has(id)) return;
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
      input_lengths: new ort.Tensor("int64", BigInt64Array.of(BigInt(ids.length)), [1]),
      scales: new ort.Tensor("float32", Float32Array.from(scales), [3]),
    };
    if (speakerId !== null) feeds.sid = new ort.Tensor("int64", BigInt64Array.of(BigInt(speakerId)), [1]);
    let started = performance.now();
    if (model.kind === "whole") {
      const results = await model.session.run(feeds);
      return post(id, samplesOf(results[model.session.outputNames[0]]), true, performance.now() - started);
    }
    const { encoder, decoder, names } = model;
    const z = (await encoder.run(feeds))[names.latent];
    const total = z.dims[2];
    const pace: DecoderPace | undefined = decodeMsPerFrame === null || hopSamples === null
      ? undefined
      : { decodeMsPerFrame, audioMsPerFrame: (1000 * hopSamples) / request.sampleRate };
    const chunks = request.plan ? chunkPlan(total, request.plan, pace) : [{ start: 0, end: total, from: 0, to: total }];
    for (const [i, chunk] of chunks.entries()) {
      if (cancelled.has(id)) break;
      const decodeStarted = performance.now();
      const window = samplesOf((await decoder.run({ [names.latent]: frames(z, chunk.from, chunk.to) }))[names.output]);
      const msPerFrame = (performance.now() - decodeStarted) / (chunk.to - chunk.from);
      // Smoothed, but a slower piece counts at once: a plan made on a pace the CPU no longer has leaves gaps.
      decodeMsPerFrame = decodeMsPerFrame === null
        ? msPerFrame
        : Math.max(msPerFrame, 0.7 * decodeMsPerFrame + 0.3 * msPerFrame);
      const hop = hopSamples = window.length / (chunk.to - chunk.from);
      const piece = window.slice((chunk.start - chunk.from) * hop, (chunk.end - chunk.from) * hop);
      post(id, piece, i === chunks.length - 1, performance.now() - started);
      started = performance.now();
    }
    z.dispose?.();
  } catch (error) {
    self.postMessage({ type: "error", id, error: message(error) });
  } finally {
    cancelled.delete(id);
    lastDone = id;
  }
}

async function dispose(): Promise<void> {
  if (model?.kind === "whole") await model.session.release().catch(() => {});
  if (model?.kind === "split") {
    await model.encoder.release().catch(() => {});
    await model.decoder.release().catch(() => {});
  }
  model = null;
  self.postMessage({ type: "disposed" });
}

// Messages are handled one at a time, in order: runs of one model never overlap. A cancel is noted at once, so a
// run in progress stops after its current piece.
let queue = Promise.resolve();
self.onmessage = (
  event: MessageEvent<LoadRequest | RunRequest | { type: "cancel"; id: number } | { type: "dispose" }>,
) => {
  const request = event.data;
  if (request.type === "cancel") return void (request.id > lastDone && cancelled.add(request.id));
  queue = queue.then(() => request.type === "load" ? load(request) : request.type === "run" ? run(request) : dispose());
};
