/**
 * `PIPER_DEVICE=cuda` goes through the one CUDA provider home (`shared/onnx/cuda_provider.ts`), like CosyVoice: the
 * PyPI provider's libraries are preloaded, and on a machine without a GPU the load falls back to the CPU with a
 * warning naming the missing driver library (`libcuda.so.1`), or fails naming it under `STRICT_CONFIG`. (Process
 * level, `PIPER_DEVICE=cuda` without any GPU is already refused by the config check, with exit 1.)
 */
import assert from "node:assert/strict";
import { ensureOrtGpu } from "../../../scripts/setup/onnxruntime_gpu.ts";
import { probeGpu } from "../../../shared/config/gpu.ts";
import type { Logger } from "../../../shared/log/mod.ts";
import { preloadCudaLibraries } from "../../../shared/onnx/cuda_provider.ts";
import { OnnxVoice } from "../../../workers/piper/onnx_voice.ts";
import { JOE_ONNX, requireJoeVoice } from "./piper_fixtures.ts";

/** A logger that keeps its warnings. */
function recordingLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const render = (message: string, props: Record<string, unknown> = {}) =>
    message.replace(/\{(\w+)\}/g, (_m, key: string) => String(props[key]));
  const log = { info: () => {}, warn: (m: string, p?: Record<string, unknown>) => warnings.push(render(m, p)) };
  return { log: log as unknown as Logger, warnings };
}

Deno.test("PIPER_DEVICE=cuda without a GPU: CPU with a warning naming libcuda.so.1, or a load error when strict", async () => {
  await requireJoeVoice();
  const installed = await ensureOrtGpu({ stream: false });
  assert.notEqual(installed.status, "left-out", installed.detail);
  if (probeGpu().available) {
    const { log } = recordingLog();
    const voice = await OnnxVoice.load(JOE_ONNX, { device: "cuda", intraOpThreads: 1, strict: true }, log);
    assert.equal(voice.device, "cuda:0");
    await voice.dispose();
    return;
  }
  const { log, warnings } = recordingLog();
  const voice = await OnnxVoice.load(JOE_ONNX, { device: "cuda", intraOpThreads: 1 }, log);
  try {
    assert.equal(voice.device, "cpu");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /PIPER_DEVICE=cuda: running on the CPU: CUDA execution provider failed to load/);
    assert.match(warnings[0], /libcuda\.so\.1: cannot open shared object file/);
  } finally {
    await voice.dispose();
  }
  await assert.rejects(
    OnnxVoice.load(JOE_ONNX, { device: "cuda", intraOpThreads: 1, strict: true }, recordingLog().log),
    /CUDA execution provider failed to load for .*joe.*libcuda\.so\.1/s,
  );
  // The thread's preload is the same one the worker process uses (one home): the NVIDIA libraries are found.
  assert.ok(preloadCudaLibraries().loaded.some((path) => path.includes("/libcudart.so.")));
});
