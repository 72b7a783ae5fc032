/**
 * The two onnxruntime sessions of a Whisper model (sherpa-onnx layout) and the tensors passed between them.
 * `ASR_DEVICE=cuda` asks for the CUDA execution provider; when it does not load, the model runs on CPU and says so.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { getLogger } from "../../../shared/log/mod.ts";
import { readModelInfo, type WhisperModelFiles, type WhisperModelInfo } from "./model_info.ts";
import { WhisperTokenizer } from "./tokenizer.ts";
import { cudaProviderError, preloadCudaLibraries } from "../../../shared/onnx/cuda_provider.ts";

const log = getLogger("asr", "whisper");

/** Per-layer cross-attention keys/values for one audio window, from the encoder. */
export interface CrossAttention {
  k: ort.Tensor;
  v: ort.Tensor;
  /** Encoder positions (mel frames / 2). */
  positions: number;
}

/** Self-attention cache of the decoder, passed back in at every step. */
export interface SelfCache {
  k: ort.Tensor;
  v: ort.Tensor;
}

/** How to run the model. */
export interface OnnxModelOptions {
  device: "cpu" | "cuda";
  /** Intra-op threads for CPU kernels; 0 lets onnxruntime choose. */
  threads?: number;
  /** With `cuda`: a provider that cannot load fails the load (`STRICT_CONFIG`) instead of falling back to the CPU. */
  strict?: boolean;
}

async function createSession(path: string, device: "cpu" | "cuda", threads: number): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: device === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    // Idle intra-op threads sleep instead of spinning: the orchestrator shares its cores (VAD, transports, other
    // sessions), and on a busy machine spinning made transcriptions about 1.5× slower at the median.
    extra: { session: { intra_op: { allow_spinning: "0" } } },
    // A missing CUDA provider library is logged by onnxruntime at error level; we report the fallback ourselves.
    ...(device === "cuda" ? { logSeverityLevel: 4 as const } : {}),
  };
  return await ort.InferenceSession.create(path, options);
}

/** A loaded Whisper model: encoder, decoder, tokenizer and metadata. */
export class WhisperOnnxModel {
  private constructor(
    readonly info: WhisperModelInfo,
    readonly tokenizer: WhisperTokenizer,
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    /** The device the sessions actually use. */
    readonly device: "cpu" | "cuda",
  ) {}

  /** Loads the files; a CUDA request that cannot be met falls back to CPU with a warning. */
  static async load(files: WhisperModelFiles, options: OnnxModelOptions): Promise<WhisperOnnxModel> {
    const info = await readModelInfo(files);
    const tokenizer = await WhisperTokenizer.load(files.tokens, info.eot);
    const threads = options.threads ?? 0;
    let device = options.device;
    let encoder: ort.InferenceSession, decoder: ort.InferenceSession;
    if (device === "cuda") preloadCudaLibraries();
    try {
      encoder = await createSession(files.encoder, device, threads);
      decoder = await createSession(files.decoder, device, threads);
    } catch (err) {
      if (device !== "cuda") throw err;
      const failure = cudaProviderError(files.encoder, err);
      if (options.strict) throw failure;
      log.warn("ASR_DEVICE=cuda: Whisper runs on the CPU: {error}", { error: failure.message });
      device = "cpu";
      encoder = await createSession(files.encoder, device, threads);
      decoder = await createSession(files.decoder, device, threads);
    }
    return new WhisperOnnxModel(info, tokenizer, encoder, decoder, device);
  }

  /** Runs the encoder on a `[n_mels, frames]` window. */
  async encode(mel: Float32Array, frames: number): Promise<CrossAttention> {
    const input = new ort.Tensor("float32", mel, [1, this.info.nMels, frames]);
    const out = await this.encoder.run({ mel: input });
    const k = out.n_layer_cross_k, v = out.n_layer_cross_v;
    return { k, v, positions: k.dims[2] };
  }

  /** A zeroed self-attention cache. */
  emptyCache(): SelfCache {
    const { nTextLayer, nTextCtx, nTextState } = this.info;
    const dims = [nTextLayer, 1, nTextCtx, nTextState];
    const size = nTextLayer * nTextCtx * nTextState;
    return {
      k: new ort.Tensor("float32", new Float32Array(size), dims),
      v: new ort.Tensor("float32", new Float32Array(size), dims),
    };
  }

  /** One decoder call: logits `[n, n_vocab]` for `tokens` placed at `offset`, and the updated cache. */
  async decode(
    tokens: readonly number[],
    offset: number,
    cache: SelfCache,
    cross: CrossAttention,
  ): Promise<{ logits: Float32Array; cache: SelfCache }> {
    const out = await this.decoder.run({
      tokens: new ort.Tensor("int64", BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
      in_n_layer_self_k_cache: cache.k,
      in_n_layer_self_v_cache: cache.v,
      n_layer_cross_k: cross.k,
      n_layer_cross_v: cross.v,
      offset: new ort.Tensor("int64", BigInt64Array.of(BigInt(offset)), [1]),
    });
    return {
      logits: out.logits.data as Float32Array,
      cache: { k: out.out_n_layer_self_k_cache, v: out.out_n_layer_self_v_cache },
    };
  }

  async dispose(): Promise<void> {
    await this.encoder.release();
    await this.decoder.release();
  }
}
