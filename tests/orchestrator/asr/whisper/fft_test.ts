import assert from "node:assert/strict";
import { FftPlan } from "../../../../orchestrator/asr/whisper/fft.ts";

Deno.test("mixed-radix FFT equals the direct DFT for Whisper's 400 points and other sizes", () => {
  for (const n of [1, 2, 7, 12, 30, 64, 400]) {
    const plan = new FftPlan(n);
    const re = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) + 0.3 * Math.cos(i * 0.2));
    const im = Array.from({ length: n }, (_, i) => (i % 3) - 1);
    plan.re.set(re);
    plan.im.set(im);
    plan.transform();
    for (let k = 0; k < n; k++) {
      let sr = 0, si = 0;
      for (let t = 0; t < n; t++) {
        const a = (-2 * Math.PI * k * t) / n;
        sr += re[t] * Math.cos(a) - im[t] * Math.sin(a);
        si += re[t] * Math.sin(a) + im[t] * Math.cos(a);
      }
      assert.ok(Math.abs(sr - plan.re[k]) < 1e-9 && Math.abs(si - plan.im[k]) < 1e-9, `n=${n} bin ${k}`);
    }
  }
  assert.throws(() => new FftPlan(0), RangeError);
});
