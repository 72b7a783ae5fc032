import assert from "node:assert/strict";
import { parseNvidiaSmiList } from "../../../shared/config/gpu.ts";
import {
  GPU_QUERY_FIELDS,
  GpuSampler,
  parseNvidiaSmiCsv,
  registerGpuMetrics,
  visibleGpus,
} from "../../../shared/metrics/gpu.ts";
import { MetricsRegistry } from "../../../shared/metrics/registry.ts";

const FIXTURES = new URL("./fixtures/nvidia-smi/", import.meta.url);
const fixture = (name: string) => Deno.readTextFileSync(new URL(name, FIXTURES));
const MIB = 1024 * 1024;

Deno.test("the nvidia-smi parser reads a real H100 idle and under-load capture by column name", () => {
  const [idle] = parseNvidiaSmiCsv(fixture("h100-idle.csv"));
  assert.deepEqual(idle, {
    index: "0",
    uuid: "GPU-00000000-0000-0000-0000-000000000000",
    name: "NVIDIA H100 80GB HBM3",
    utilizationRatio: 0,
    memoryUsedBytes: 0,
    memoryTotalBytes: 81559 * MIB,
    temperatureCelsius: 41,
  });
  const loaded = parseNvidiaSmiCsv(fixture("h100-load.csv"));
  assert.equal(loaded.length, 1);
  assert.equal(loaded[0].utilizationRatio, 1);
  assert.equal(loaded[0].memoryUsedBytes, 19818 * MIB);
  assert.equal(loaded[0].temperatureCelsius, 59);
  // The name matches what the startup probe reads from the same machine's `nvidia-smi -L`.
  assert.deepEqual(
    parseNvidiaSmiList("GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-0000-0000-000000000000)"),
    [
      loaded[0].name,
    ],
  );
});

Deno.test("the nvidia-smi parser leaves out a value the driver reports as [N/A] (H100 in MIG mode)", () => {
  const [mig] = parseNvidiaSmiCsv(fixture("h100-mig-load.csv"));
  assert.equal(mig.utilizationRatio, undefined, "MIG hides whole-GPU utilisation: no made-up 0");
  assert.equal(mig.memoryUsedBytes, 11125 * MIB);
  assert.equal(mig.temperatureCelsius, 53);
  const [h200] = parseNvidiaSmiCsv(fixture("h200-load.csv"));
  assert.equal(h200.name, "NVIDIA H200");
  assert.equal(h200.memoryTotalBytes, 143771 * MIB);
});

Deno.test("the nvidia-smi parser reads our own 7-field query, several GPUs, and names what is wrong", () => {
  // Built from the H100 capture's values, in the header format nvidia-smi prints for our query.
  const header = "index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu";
  assert.equal(header.split(", ").map((c) => c.replace(/ \[.*\]$/, "")).join(","), GPU_QUERY_FIELDS.join(","));
  const text = `${header}\n0, GPU-a, NVIDIA H100 80GB HBM3, 100 %, 19818 MiB, 81559 MiB, 59\n` +
    "1, GPU-b, NVIDIA H100 80GB HBM3, [N/A], 0 MiB, 81559 MiB, 41\n";
  const gpus = parseNvidiaSmiCsv(text);
  assert.deepEqual(gpus.map((g) => [g.index, g.utilizationRatio]), [["0", 1], ["1", undefined]]);
  assert.deepEqual(visibleGpus(gpus, "1").map((g) => g.index), ["1"]);
  assert.deepEqual(visibleGpus(gpus, "GPU-a").map((g) => g.index), ["0"]);
  assert.deepEqual(visibleGpus(gpus, undefined).length, 2);
  assert.deepEqual(parseNvidiaSmiCsv(""), []);
  assert.throws(() => parseNvidiaSmiCsv("0, NVIDIA H100, 5 %\n"), /no "index" column/);
  assert.throws(() => parseNvidiaSmiCsv(`${header}\n0, GPU-a, NVIDIA, 5 %\n`), /row 1 has 4 values for 7 columns/);
  assert.throws(() => parseNvidiaSmiCsv(`${header}\n0, GPU-a, X, lots, 1 MiB, 2 MiB, 3\n`), /"lots" is not a number/);
});

Deno.test("GPU gauges show the last reading, and a failing nvidia-smi reads as voicechat_gpu_up 0 with no stale values", async () => {
  let output: string | Error = fixture("h100-load.csv");
  const sampler = new GpuSampler({
    run: () => output instanceof Error ? Promise.reject(output) : Promise.resolve(output),
  });
  const registry = new MetricsRegistry();
  registerGpuMetrics(registry, sampler);
  await sampler.sample();
  const labels = 'gpu="0",name="NVIDIA H100 80GB HBM3",uuid="GPU-00000000-0000-0000-0000-000000000000"';
  let text = registry.render();
  assert.match(text, /^voicechat_gpu_up 1$/m);
  assert.ok(text.includes(`voicechat_gpu_utilization_ratio{${labels}} 1\n`), text);
  assert.ok(text.includes(`voicechat_gpu_memory_used_bytes{${labels}} ${19818 * MIB}\n`));
  assert.ok(text.includes(`voicechat_gpu_memory_total_bytes{${labels}} ${81559 * MIB}\n`));
  assert.ok(text.includes(`voicechat_gpu_temperature_celsius{${labels}} 59\n`));
  output = new Error("nvidia-smi exited 9: NVIDIA-SMI has failed because it couldn't communicate with the driver");
  await sampler.sample();
  text = registry.render();
  assert.match(text, /^voicechat_gpu_up 0$/m);
  assert.doesNotMatch(text, /^voicechat_gpu_temperature_celsius\{/m);
});
