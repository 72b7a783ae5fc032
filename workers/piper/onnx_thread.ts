/**
 * The inference thread of one Piper model (a Web Worker). onnxruntime-node runs a model synchronously, which
 * would block the worker's event loop for the whole sentence — no frames sent, no PAUSE handled, other sessions
 * stalled — so each model runs here, and the main thread only exchanges messages with it.
 *
 * Messages in: `load` {path, device, intraOpThreads}, `run` {id, ids, scales, speakerId}, `dispose`. Out:
 * `loaded` {device, inputs, warning?}, `failed` {error} (load), `result` {id, audio} or `error` {id, error} (run),
 * `disposed` (the session is released; the thread may then be terminated without tearing down a live session).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import * as ort from "onnxruntime-node";

/** A run request. */
export interface RunRequest {
  type: "run";
  id: number;
  ids: number[];
  scales: [number, number, number];
  speakerId: number | null;
}

/** A load request. */
export interface LoadRequest {
  type: "load";
  path: string;
  device: "cpu" | "cuda";
  intraOpThreads: number;
}

let session: ort.InferenceSession | null = null;

const message = (error: unknown) => error instanceof Error ? error.message : String(error);

function create(path: string, provider: "cpu" | "cuda", threads: number) {
  return ort.InferenceSession.create(path, {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
}

async function load(request: LoadRequest): Promise<void> {
  let warning: string | undefined;
  let device = "cpu";
  try {
    if (request.device === "cuda") {
      try {
        session = await create(request.path, "cuda", request.intraOpThreads);
        device = "cuda:0";
      } catch (error) {
        warning = message(error);
      }
    }
    session ??= await create(request.path, "cpu", request.intraOpThreads);
    self.postMessage({ type: "loaded", device, inputs: session.inputNames, warning });
  } catch (error) {
    self.postMessage({ type: "failed", error: message(error) });
  }
}

async function run(request: RunRequest): Promise<void> {
  try {
    if (!session) throw new Error("the model is not loaded");
    const { ids, scales, speakerId } = request;
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
      input_lengths: new ort.Tensor("int64", BigInt64Array.of(BigInt(ids.length)), [1]),
      scales: new ort.Tensor("float32", Float32Array.from(scales), [3]),
    };
    if (speakerId !== null) feeds.sid = new ort.Tensor("int64", BigInt64Array.of(BigInt(speakerId)), [1]);
    const results = await session.run(feeds);
    const output = results[session.outputNames[0]];
    // The sample count is the last dimension, whatever the rank ([1,1,1,T] in Piper exports).
    const samples = output.dims[output.dims.length - 1] ?? 0;
    const audio = Float32Array.from((output.data as Float32Array).subarray(0, samples));
    output.dispose?.();
    self.postMessage({ type: "result", id: request.id, audio }, [audio.buffer]);
  } catch (error) {
    self.postMessage({ type: "error", id: request.id, error: message(error) });
  }
}

async function dispose(): Promise<void> {
  await session?.release().catch(() => {});
  session = null;
  self.postMessage({ type: "disposed" });
}

// Messages are handled one at a time, in order: runs of one model never overlap.
let queue = Promise.resolve();
self.onmessage = (event: MessageEvent<LoadRequest | RunRequest | { type: "dispose" }>) => {
  const request = event.data;
  queue = queue.then(() => request.type === "load" ? load(request) : request.type === "run" ? run(request) : dispose());
};
