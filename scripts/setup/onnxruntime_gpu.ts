/**
 * `deno task setup --gpu`: onnxruntime's CUDA execution provider for onnxruntime-node, taken from PyPI.
 * onnxruntime-node's own installer fetches it from a registry that is not reachable here; PyPI's `onnxruntime-gpu`
 * of exactly onnxruntime-node's version carries the same provider libraries. They are copied next to the Node
 * binding, and the NVIDIA runtime wheels they need (`nvidia-*` for CUDA 13, cuDNN 9) stay in a venv in
 * `$VOICE_CHAT_CACHE` linked as `.cache/ort-gpu`, where the workers preload them from (see
 * `shared/onnx/cuda_provider.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { exists, linkInto, machineCacheDir, repoPath } from "./paths.ts";
import type { StepResult } from "./report.ts";
import { buildVenv, STAMP, stampOf } from "./venv.ts";

/** Where onnxruntime-node looks for provider libraries (next to its binding). */
export const ORT_NODE_BIN = repoPath("node_modules", "onnxruntime-node", "bin", "napi-v6", "linux", "x64");
/** The venv holding onnxruntime-gpu and the NVIDIA runtime wheels. */
export const ORT_GPU_VENV = repoPath(".cache", "ort-gpu");
/** The provider libraries copied from onnxruntime-gpu. */
export const PROVIDER_LIBRARIES = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];

/** onnxruntime-node's installed version. */
export async function ortNodeVersion(): Promise<string> {
  const pkg = JSON.parse(await Deno.readTextFile(repoPath("node_modules", "onnxruntime-node", "package.json")));
  return pkg.version;
}

async function capiDir(venv: string): Promise<string | null> {
  for await (const entry of Deno.readDir(join(venv, "lib"))) {
    const dir = join(venv, "lib", entry.name, "site-packages", "onnxruntime", "capi");
    if (await exists(join(dir, PROVIDER_LIBRARIES[1]))) return dir;
  }
  return null;
}

/** Installs the CUDA provider for onnxruntime-node (see the module notes). */
export async function ensureOrtGpu(options: { stream: boolean }): Promise<StepResult> {
  const name = "onnxruntime CUDA provider (--gpu)";
  const fallback = "COSYVOICE_DEVICE=cuda falls back to the CPU with a warning (exit 1 under STRICT_CONFIG)";
  const version = await ortNodeVersion().catch(() => null);
  if (!version) return { name, status: "left-out", detail: "onnxruntime-node is not installed", fallback };
  const cached = `${machineCacheDir()}/ort-gpu-${version}`;
  let status: StepResult["status"] = "present";
  if ((await stampOf(cached)) !== version) {
    const problem = await buildVenv(
      cached,
      [[`onnxruntime-gpu[cuda,cudnn]==${version}`, "nvidia-cublas"]],
      ["onnxruntime", "nvidia"],
      options.stream,
    );
    if (problem) return { name, status: "left-out", detail: problem, fallback };
    await Deno.writeTextFile(`${cached}/${STAMP}`, version + "\n");
    status = "installed";
  }
  await linkInto(cached, ORT_GPU_VENV);
  const capi = await capiDir(cached);
  if (!capi) return { name, status: "left-out", detail: `no ${PROVIDER_LIBRARIES[1]} in ${cached}`, fallback };
  for (const lib of PROVIDER_LIBRARIES) await Deno.copyFile(join(capi, lib), join(ORT_NODE_BIN, lib));
  return { name, status, detail: `onnxruntime-gpu ${version}: providers in ${ORT_NODE_BIN}, CUDA libs in ${cached}` };
}
