import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import {
  type GpuProbe,
  loadConfig,
  orchestratorConfigChecks,
  orchestratorConfigSchema,
  parseNvidiaSmiList,
  parseProcGpuInformation,
  probeGpu,
  probeGpuUncached,
  resolveAsrDevice,
} from "../../../shared/config/mod.ts";
import { problemFor, problemsOf } from "./helpers.ts";

const NO_GPU: GpuProbe = { available: false, gpus: [], detail: "test: no GPU" };
const ONE_GPU: GpuProbe = { available: true, gpus: ["NVIDIA H100 80GB HBM3"], detail: "test: one GPU" };

/** Runs `fn` with LogTape writing into an array, and returns the messages. */
async function captureLogs(fn: () => void): Promise<string[]> {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (r: LogRecord) => records.push(r) },
    loggers: [
      { category: ["voice"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  try {
    fn();
  } finally {
    await reset();
  }
  return records.map((r) => r.message.map(String).join(""));
}

Deno.test("ASR_DEVICE=auto without a GPU resolves to cpu and logs why", async () => {
  let device = "";
  const lines = await captureLogs(() => device = resolveAsrDevice("auto", NO_GPU));
  assert.equal(device, "cpu");
  assert.ok(lines.includes("no GPU found, ASR_DEVICE=auto → cpu"), JSON.stringify(lines));
});

Deno.test("ASR_DEVICE=auto with a GPU resolves to cuda; cpu stays cpu", async () => {
  const lines = await captureLogs(() => assert.equal(resolveAsrDevice("auto", ONE_GPU), "cuda"));
  assert.match(lines.join("\n"), /GPU found \(NVIDIA H100.*→ cuda/);
  assert.equal(resolveAsrDevice("cpu", ONE_GPU), "cpu");
});

Deno.test("ASR_DEVICE=cuda without a GPU is a config error naming the variable and the fix", () => {
  const result = loadConfig(orchestratorConfigSchema, { ASR_DEVICE: "cuda" }, {
    service: "orchestrator",
    checks: orchestratorConfigChecks(() => NO_GPU),
  });
  const p = problemFor(problemsOf(result), "ASR_DEVICE");
  assert.equal(p.value, "cuda");
  assert.match(p.problem, /no GPU is available \(test: no GPU\)/);
  assert.match(p.fix, /ASR_DEVICE=auto/);
  assert.throws(() => resolveAsrDevice("cuda", NO_GPU), /ASR_DEVICE=cuda but no GPU/);
});

Deno.test("ASR_DEVICE=cuda with a GPU loads", () => {
  const result = loadConfig(orchestratorConfigSchema, { ASR_DEVICE: "cuda" }, {
    service: "orchestrator",
    checks: orchestratorConfigChecks(() => ONE_GPU),
  });
  assert.ok(result.ok);
});

Deno.test("the real probe agrees with the driver files and is hidden by CUDA_VISIBLE_DEVICES=-1", () => {
  const probe = probeGpuUncached(undefined);
  assert.equal(typeof probe.available, "boolean");
  assert.equal(probe.available, probe.gpus.length > 0);
  let driverListsGpus = false;
  try {
    driverListsGpus = [...Deno.readDirSync("/proc/driver/nvidia/gpus")].length > 0;
  } catch {
    // no NVIDIA driver on this machine
  }
  if (driverListsGpus) assert.ok(probe.available, "the driver lists GPUs but the probe found none");
  assert.equal(resolveAsrDevice("auto", probe), probe.available ? "cuda" : "cpu");
  assert.equal(probeGpuUncached("-1").available, false);
  assert.equal(probeGpuUncached("").available, false);
  assert.equal(probeGpu(), probeGpu(), "the probe runs once per process");
});

// Output captured from a real NVIDIA H100 machine (driver 580), so the parsers are checked against the real format.
const H100_NVIDIA_SMI_L = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-90a9b197-7cb5-d0ae-c715-309885f2b95a)\n";
const H100_PROC_INFORMATION = "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 41\n" +
  "GPU UUID: \t GPU-90a9b197-7cb5-d0ae-c715-309885f2b95a\nVideo BIOS: \t 96.00.cf.00.01\nBus Type: \t PCIe\n" +
  "Bus Location: \t 0000:00:06.0\nDevice Minor: \t 0\nGPU Firmware: \t 580.159.04\nGPU Excluded:\t No\n";

Deno.test("the probe reads GPU names from real nvidia-smi -L and /proc driver output", () => {
  assert.deepEqual(parseNvidiaSmiList(H100_NVIDIA_SMI_L), ["NVIDIA H100 80GB HBM3"]);
  assert.deepEqual(parseNvidiaSmiList("No devices were found\n"), []);
  assert.equal(parseProcGpuInformation(H100_PROC_INFORMATION), "NVIDIA H100 80GB HBM3");
  assert.equal(parseProcGpuInformation("IRQ: 41\n"), undefined);
});
