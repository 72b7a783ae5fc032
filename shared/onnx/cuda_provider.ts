/**
 * The one home of onnxruntime's CUDA provider for every service (`COSYVOICE_DEVICE`, `PIPER_DEVICE`, `ASR_DEVICE` =
 * `cuda`): call {@linkcode preloadCudaLibraries} before opening a session on CUDA, and turn a failed open into a
 * {@linkcode CudaProviderError} with {@linkcode cudaProviderError}, which names the missing library.
 *
 * It makes the NVIDIA runtime libraries of `deno task setup --gpu` (`.cache/ort-gpu`, PyPI's `nvidia-*` wheels) visible
 * to onnxruntime's CUDA provider. The provider opens `libcudart.so.13`, `libcublas.so.13`, cuDNN … by name, and the
 * loader only finds them on `LD_LIBRARY_PATH`, which a running process cannot change; a library that is already
 * loaded is found by its name, so each one is loaded once by path first. A library whose own dependency is not loaded
 * yet fails and is retried after the others.
 *
 * @module
 */
import { join } from "node:path";

/** The venv `deno task setup --gpu` links (relative to the working directory, the repository root). */
export const ORT_GPU_VENV = ".cache/ort-gpu";

/** What was preloaded, and what could not be (with the loader's message). */
export interface PreloadReport {
  loaded: string[];
  failed: string[];
}

function librariesUnder(venv: string): string[] {
  const found: string[] = [];
  let lib: Deno.DirEntry[];
  try {
    lib = [...Deno.readDirSync(join(venv, "lib"))];
  } catch {
    return found;
  }
  for (const python of lib) {
    const nvidia = join(venv, "lib", python.name, "site-packages", "nvidia");
    let packages: Deno.DirEntry[] = [];
    try {
      packages = [...Deno.readDirSync(nvidia)];
    } catch {
      continue;
    }
    for (const pkg of packages) {
      try {
        for (const file of Deno.readDirSync(join(nvidia, pkg.name, "lib"))) {
          if (/\.so(\.\d+)+$/.test(file.name)) found.push(join(nvidia, pkg.name, "lib", file.name));
        }
      } catch {
        // a package without a lib/ folder (headers only)
      }
    }
  }
  return found.sort();
}

let done: PreloadReport | null = null;

/** Loads every NVIDIA runtime library of `venv` once per process; an absent venv gives an empty report. */
export function preloadCudaLibraries(venv = ORT_GPU_VENV): PreloadReport {
  if (done) return done;
  let pending = librariesUnder(venv);
  const loaded: string[] = [];
  const errors = new Map<string, string>();
  while (pending.length > 0) {
    const next: string[] = [];
    for (const path of pending) {
      try {
        Deno.dlopen(path, {});
        loaded.push(path);
      } catch (error) {
        errors.set(path, error instanceof Error ? error.message : String(error));
        next.push(path);
      }
    }
    if (next.length === pending.length) break;
    pending = next;
  }
  done = { loaded, failed: pending.map((path) => `${path}: ${errors.get(path)}`) };
  return done;
}

/** The folder of onnxruntime-node's native binding, where it looks for provider libraries. */
export function ortBindingDir(): string {
  const entry = new URL(import.meta.resolve("onnxruntime-node")).pathname;
  return join(
    entry.slice(0, entry.lastIndexOf("/onnxruntime-node/") + "/onnxruntime-node".length),
    "bin",
    "napi-v6",
    "linux",
    "x64",
  );
}

/**
 * Why onnxruntime's CUDA provider cannot load, naming the library: the provider files missing next to the binding
 * (`deno task setup --gpu` puts them there), or the loader's own message for a library the provider needs.
 */
export function diagnoseCudaProvider(): string {
  const dir = ortBindingDir();
  for (const name of ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"]) {
    try {
      Deno.statSync(join(dir, name));
    } catch {
      return `${join(dir, name)} is missing (install it with \`deno task setup --gpu\`)`;
    }
  }
  const report = preloadCudaLibraries();
  try {
    Deno.dlopen(join(dir, "libonnxruntime_providers_shared.so"), {});
    Deno.dlopen(join(dir, "libonnxruntime_providers_cuda.so"), {});
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `${message}${
      report.loaded.length ? "" : ` (no NVIDIA libraries in ${ORT_GPU_VENV}: run \`deno task setup --gpu\`)`
    }`;
  }
  return `the provider libraries load (${report.loaded.length} NVIDIA libraries preloaded); is a GPU and driver present?`;
}

/** The CUDA provider could not be loaded; the message names what is missing (see {@linkcode diagnoseCudaProvider}). */
export class CudaProviderError extends Error {
  constructor(path: string, detail: string) {
    super(`CUDA execution provider failed to load for ${path}: ${detail}`);
    this.name = "CudaProviderError";
  }
}

/** The error for a session on `path` that onnxruntime could not open on CUDA: its message and the diagnosis. */
export function cudaProviderError(path: string, error: unknown): CudaProviderError {
  const detail = error instanceof Error ? error.message : String(error);
  return new CudaProviderError(path, `${detail}: ${diagnoseCudaProvider()}`);
}
