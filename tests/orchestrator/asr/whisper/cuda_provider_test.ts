/**
 * `ASR_DEVICE=cuda` goes through the one CUDA provider home (`shared/onnx/cuda_provider.ts`), like CosyVoice: on a
 * machine without a GPU, Whisper falls back to the CPU with a warning naming the missing driver library
 * (`libcuda.so.1`), and under `STRICT_CONFIG` its load fails naming it, across the inference thread. (Process level,
 * `ASR_DEVICE=cuda` without any GPU is already refused by the config check, with exit 1.)
 */
import assert from "node:assert/strict";
import { WhisperEngine } from "../../../../orchestrator/asr/whisper/engine.ts";
import { locateModel } from "../../../../orchestrator/asr/whisper/model_info.ts";
import { WhisperOnnxModel } from "../../../../orchestrator/asr/whisper/onnx_model.ts";
import { MODELS_DIR, requireTinyEn } from "../../../../harness/whisper_fixtures.ts";
import { ensureOrtGpu } from "../../../../scripts/setup/onnxruntime_gpu.ts";
import { probeGpu } from "../../../../shared/config/gpu.ts";
import { CudaProviderError } from "../../../../shared/onnx/cuda_provider.ts";

Deno.test("ASR_DEVICE=cuda without a GPU: Whisper on the CPU, or a load error naming libcuda.so.1 when strict", async () => {
  await requireTinyEn();
  const installed = await ensureOrtGpu({ stream: false });
  assert.notEqual(installed.status, "left-out", installed.detail);
  const files = await locateModel(MODELS_DIR, "tiny", "en");
  if (probeGpu().available) {
    assert.equal((await WhisperOnnxModel.load(files, { device: "cuda", threads: 1, strict: true })).device, "cuda");
    return;
  }
  const fallback = await WhisperOnnxModel.load(files, { device: "cuda", threads: 1 });
  assert.equal(fallback.device, "cpu");
  await fallback.dispose();
  await assert.rejects(WhisperOnnxModel.load(files, { device: "cuda", threads: 1, strict: true }), (error: Error) => {
    assert.ok(error instanceof CudaProviderError);
    assert.match(error.message, /libcuda\.so\.1: cannot open shared object file/);
    return true;
  });
  // The same failure through the engine's inference thread, as the orchestrator loads it.
  const options = { modelsDir: MODELS_DIR, size: "tiny", language: "en", partialIntervalMs: 500, threads: 1 };
  await assert.rejects(WhisperEngine.load({ ...options, device: "cuda", strict: true }), (error: Error) => {
    assert.equal(error.name, "CudaProviderError");
    assert.match(error.message, /libcuda\.so\.1/);
    return true;
  });
});
