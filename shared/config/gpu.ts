/**
 * A real GPU probe, and the choice of compute device for variables such as `ASR_DEVICE` and `PIPER_DEVICE`.
 *
 * The probe looks for NVIDIA GPUs the way CUDA would find them: the kernel driver's list in
 * `/proc/driver/nvidia/gpus/`, else `nvidia-smi -L` (which also covers WSL2, where `/proc` has no NVIDIA entry).
 * `CUDA_VISIBLE_DEVICES` set to an empty string or `-1` hides every GPU, as it does for CUDA itself.
 * The result is cached for the life of the process.
 *
 * @module
 */
import { getLogger } from "../log/mod.ts";
import type { ConfigProblem } from "./problem.ts";

/** What the probe found. */
export interface GpuProbe {
  available: boolean;
  /** One description per GPU, e.g. `NVIDIA H100 80GB HBM3`. */
  gpus: string[];
  /** How the answer was reached, for log lines and error messages. */
  detail: string;
}

const PROC_GPUS = "/proc/driver/nvidia/gpus";

/** The GPU model in a driver `information` file (`Model: \t\t NVIDIA H100 80GB HBM3`); `undefined` if absent. */
export function parseProcGpuInformation(text: string): string | undefined {
  return /^Model:\s*(.+?)\s*$/m.exec(text)?.[1];
}

/** GPU names from `nvidia-smi -L` output (`GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-…)`). */
export function parseNvidiaSmiList(text: string): string[] {
  return text.split("\n")
    .map((line) => /^GPU \d+:\s*(.+?)(\s*\(UUID:.*\))?$/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Reads GPU models from the driver's `/proc` entries; `undefined` when the driver is not there or unreadable. */
function probeProc(): string[] | undefined {
  try {
    const gpus: string[] = [];
    for (const entry of Deno.readDirSync(PROC_GPUS)) {
      let model = entry.name;
      try {
        const info = Deno.readTextFileSync(`${PROC_GPUS}/${entry.name}/information`);
        model = parseProcGpuInformation(info) ?? entry.name;
      } catch {
        // The bus id alone still proves a GPU is there.
      }
      gpus.push(model);
    }
    return gpus.length > 0 ? gpus : undefined;
  } catch {
    return undefined;
  }
}

/** Asks `nvidia-smi -L`; `undefined` when it is missing, not permitted, or fails. */
function probeNvidiaSmi(): string[] | undefined {
  try {
    const out = new Deno.Command("nvidia-smi", { args: ["-L"], stdout: "piped", stderr: "null" }).outputSync();
    if (!out.success) return undefined;
    const gpus = parseNvidiaSmiList(new TextDecoder().decode(out.stdout));
    return gpus.length > 0 ? gpus : undefined;
  } catch {
    return undefined;
  }
}

/** Probes the machine now, without the cache. `visibleDevices` is `CUDA_VISIBLE_DEVICES`. */
export function probeGpuUncached(visibleDevices: string | undefined = Deno.env.get("CUDA_VISIBLE_DEVICES")): GpuProbe {
  if (visibleDevices !== undefined && (visibleDevices.trim() === "" || visibleDevices.trim() === "-1")) {
    return {
      available: false,
      gpus: [],
      detail: `CUDA_VISIBLE_DEVICES=${JSON.stringify(visibleDevices)} hides all GPUs`,
    };
  }
  const fromProc = probeProc();
  if (fromProc) return { available: true, gpus: fromProc, detail: `found in ${PROC_GPUS}` };
  const fromSmi = probeNvidiaSmi();
  if (fromSmi) return { available: true, gpus: fromSmi, detail: "found by nvidia-smi -L" };
  return { available: false, gpus: [], detail: `no NVIDIA driver entry in ${PROC_GPUS} and nvidia-smi -L found none` };
}

let cached: GpuProbe | undefined;

/** Probes once per process and remembers the answer. */
export function probeGpu(): GpuProbe {
  cached ??= probeGpuUncached();
  return cached;
}

/** Device choices of `ASR_DEVICE` and similar variables. */
export type DeviceChoice = "auto" | "cpu" | "cuda";

/**
 * A config check: `cuda` without a GPU is an error naming `variable`. `auto` and `cpu` always pass (auto falls
 * back to the CPU, see {@linkcode resolveDevice}).
 */
export function checkDeviceAvailable(variable: string, requested: DeviceChoice, probe: GpuProbe): ConfigProblem[] {
  if (requested !== "cuda" || probe.available) return [];
  return [{
    variable,
    value: requested,
    problem: `cuda was requested but no GPU is available (${probe.detail})`,
    fix: `set ${variable}=auto (uses a GPU when there is one) or ${variable}=cpu, or run on a machine with an ` +
      "NVIDIA GPU and driver (the process needs --allow-read=/proc/driver/nvidia and --allow-run=nvidia-smi)",
    severity: "error",
  }];
}

/**
 * Turns a device choice into the device to use, logging how `auto` was decided
 * (`no GPU found, ASR_DEVICE=auto → cpu`). Throws when `cuda` is requested without a GPU: config loading reports
 * that case first (see {@linkcode checkDeviceAvailable}), so reaching it here is a programming error.
 */
export function resolveDevice(variable: string, requested: DeviceChoice, probe: GpuProbe = probeGpu()): "cpu" | "cuda" {
  const log = getLogger("config", "gpu");
  if (requested === "cpu") return "cpu";
  if (requested === "cuda") {
    if (!probe.available) throw new Error(`${variable}=cuda but no GPU is available (${probe.detail})`);
    return "cuda";
  }
  if (!probe.available) {
    log.info(`no GPU found, ${variable}=auto → cpu`, { variable, detail: probe.detail });
    return "cpu";
  }
  log.info(`GPU found (${probe.gpus.join(", ")}), ${variable}=auto → cuda`, { variable, gpus: probe.gpus });
  return "cuda";
}

/** `resolveDevice` for `ASR_DEVICE`. */
export function resolveAsrDevice(requested: DeviceChoice, probe: GpuProbe = probeGpu()): "cpu" | "cuda" {
  return resolveDevice("ASR_DEVICE", requested, probe);
}
