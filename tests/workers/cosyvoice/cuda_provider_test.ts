/**
 * The CUDA provider from PyPI (`deno task setup --gpu`): its libraries are found and preloaded, and on a machine
 * without a GPU the failure names the one thing missing, the driver's `libcuda.so.1`; with a GPU the graph opens on
 * `cuda:0`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureOrtGpu } from "../../../scripts/setup/onnxruntime_gpu.ts";
import { probeGpu } from "../../../shared/config/gpu.ts";
import { CudaProviderError, ortBindingDir, preloadCudaLibraries } from "../../../shared/onnx/cuda_provider.ts";
import { openSession } from "../../../workers/cosyvoice/onnx_session.ts";
import { PACK_DIR, requirePack } from "./fixtures.ts";

Deno.test("the PyPI CUDA provider is found; without a GPU the error names the missing driver library", async () => {
  await requirePack();
  const installed = await ensureOrtGpu({ stream: false });
  assert.notEqual(installed.status, "left-out", installed.detail);
  for (const lib of ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"]) {
    assert.ok(await Deno.stat(join(ortBindingDir(), lib)), `${lib} next to the binding`);
  }
  const report = preloadCudaLibraries();
  for (const lib of ["libcudart.so", "libcublas.so", "libcublasLt.so", "libcudnn.so", "libcurand.so"]) {
    assert.ok(report.loaded.some((path) => path.includes(`/${lib}.`)), `${lib} preloaded: ${report.failed.join("; ")}`);
  }
  const graph = join(PACK_DIR, "hift_f0.onnx");
  if (probeGpu().available) {
    const opened = await openSession(graph, { device: "cuda", intraOpThreads: 1, strict: true });
    assert.equal(opened.device, "cuda:0");
    await opened.session.release();
    return;
  }
  await assert.rejects(openSession(graph, { device: "cuda", intraOpThreads: 1, strict: true }), (error: Error) => {
    assert.ok(error instanceof CudaProviderError);
    assert.match(error.message, /libcuda\.so\.1: cannot open shared object file/);
    return true;
  });
  const fallback = await openSession(graph, { device: "cuda", intraOpThreads: 1, strict: false });
  assert.equal(fallback.device, "cpu");
  assert.match(fallback.fallback ?? "", /libcuda\.so\.1/);
  await fallback.session.release();
});
