/**
 * Resampler bench: CPU cost of the streaming polyphase resampler per output sample, fed in 20 ms chunks as the
 * worker and the orchestrator feed it, and how many times faster than real time one core runs one stream. Side by side in
 * the same run, sox's own `rate -h` converter on the same audio, as a reference (sox timing is wall time and includes
 * process start and file I/O; the audio is long enough for that to be small).
 *
 * Run: `deno task bench resampler` (or `deno run -A bench/resampler_bench.ts`).
 *
 * @module
 */
import process from "node:process";
import { StreamingResampler } from "../shared/audio/resampler.ts";
import { float32ToInt16, int16ToFloat32 } from "../shared/audio/pcm.ts";
import { readWav, writeWav } from "../shared/audio/wav.ts";

const SECONDS = 60;
const CASES: [number, number][] = [[22050, 48000], [48000, 16000], [24000, 48000], [44100, 16000]];

function testSignal(rate: number): Float32Array {
  const x = new Float32Array(rate * SECONDS);
  for (let n = 0; n < x.length; n++) {
    x[n] = 0.4 * Math.sin((2 * Math.PI * 440 * n) / rate) + 0.2 * Math.sin((2 * Math.PI * 3100 * n) / rate);
  }
  return x;
}

/** CPU seconds this process has used (robust against other processes sharing the cores, unlike wall time). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Best of three passes over the whole signal in 20 ms chunks; returns CPU seconds and output length. */
function timeOurs(inRate: number, outRate: number, x: Float32Array): { seconds: number; outputs: number } {
  const chunk = inRate / 50;
  let best = Infinity;
  let outputs = 0;
  for (let pass = 0; pass < 3; pass++) {
    const r = new StreamingResampler(inRate, outRate);
    outputs = 0;
    const t0 = cpuSeconds();
    for (let at = 0; at < x.length; at += chunk) outputs += r.process(x.subarray(at, at + chunk)).length;
    outputs += r.flush().length;
    best = Math.min(best, cpuSeconds() - t0);
  }
  return { seconds: best, outputs };
}

/** sox `rate -h` on the same audio through files; `undefined` when sox is not installed. */
async function timeSox(inRate: number, outRate: number, x: Float32Array): Promise<number | undefined> {
  const dir = await Deno.makeTempDir();
  try {
    const src = `${dir}/in.wav`;
    const dst = `${dir}/out.wav`;
    await Deno.writeFile(src, writeWav({ sampleRate: inRate, samples: float32ToInt16(x) }));
    let best = Infinity;
    for (let pass = 0; pass < 3; pass++) {
      const t0 = performance.now();
      const out = await new Deno.Command("sox", { args: [src, "-r", String(outRate), dst, "rate", "-h"] }).output();
      if (!out.success) return undefined;
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    readWav(await Deno.readFile(dst)); // the output must be a real file of audio
    return best;
  } catch {
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// Warm the JIT so the first case is not penalised.
timeOurs(22050, 48000, testSignal(22050).subarray(0, 22050 * 5));

for (const [inRate, outRate] of CASES) {
  const x = testSignal(inRate);
  const ours = timeOurs(inRate, outRate, x);
  const nsPerSample = (ours.seconds * 1e9) / ours.outputs;
  const realTime = SECONDS / ours.seconds;
  console.log(
    `resampler ${inRate}->${outRate}: ${nsPerSample.toFixed(1)} ns/sample, ${realTime.toFixed(0)}× real time ` +
      `(${SECONDS} s of audio in 20 ms chunks: ${(ours.seconds * 1000).toFixed(1)} ms CPU)`,
  );
  const sox = await timeSox(inRate, outRate, new Float32Array(int16ToFloat32(float32ToInt16(x))));
  if (sox === undefined) console.log("  sox rate -h: not available (apt install sox)");
  else {console.log(
      `  sox rate -h (same audio, incl. process start): ${(sox * 1000).toFixed(1)} ms → ours/sox = ${
        (ours.seconds / sox).toFixed(2)
      }`,
    );}
}
