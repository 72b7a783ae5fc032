/**
 * onnxruntime-node sessions for the CosyVoice graphs, on the CPU or on CUDA. With device `cuda` a provider that
 * fails to load is an error naming what is missing; unless the caller is strict, the graph then runs on the CPU and
 * the caller logs a warning.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { cudaProviderError, preloadCudaLibraries } from "../../shared/onnx/cuda_provider.ts";

/** Where the graphs run and how many threads one run may use. */
export interface SessionOptions {
  device: "cpu" | "cuda";
  intraOpThreads: number;
  /** With `cuda`: fail instead of falling back to the CPU (`STRICT_CONFIG`). */
  strict: boolean;
}

/** A session and the provider it really runs on. */
export interface OpenedSession {
  session: ort.InferenceSession;
  device: string;
  /** Why CUDA was not used, when it was asked for. */
  fallback?: string;
}

function create(path: string, provider: "cpu" | "cuda", threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    executionProviders: provider === "cuda" ? [{ name: "cuda", cudnnConvAlgoSearch: "HEURISTIC" } as never] : ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
}

/** Opens `path` on the requested device (see the module notes for CUDA failures). */
export async function openSession(path: string, options: SessionOptions): Promise<OpenedSession> {
  if (options.device === "cuda") {
    preloadCudaLibraries();
    try {
      return { session: await create(path, "cuda", options.intraOpThreads), device: "cuda:0" };
    } catch (error) {
      const failure = cudaProviderError(path, error);
      if (options.strict) throw failure;
      return { session: await create(path, "cpu", options.intraOpThreads), device: "cpu", fallback: failure.message };
    }
  }
  return { session: await create(path, "cpu", options.intraOpThreads), device: "cpu" };
}

/**
 * Opens `path` on CUDA once and releases it: throws a `CudaProviderError` when the provider cannot load, so
 * a strict worker stops at startup instead of at its first load.
 */
export async function checkCudaProvider(path: string, intraOpThreads: number): Promise<void> {
  const opened = await openSession(path, { device: "cuda", intraOpThreads, strict: true });
  await opened.session.release();
}

/** A float32 tensor. */
export function f32(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

/** An int64 tensor from plain numbers. */
export function i64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

export type { ort };
