import assert from "node:assert/strict";
import { MetricsRegistry } from "../../../shared/metrics/registry.ts";

Deno.test("metrics registry: renders counters, gauges and cumulative histograms in the text format", () => {
  const registry = new MetricsRegistry();
  const errors = registry.counter("session_errors_total", "Errors by code");
  errors.inc({ code: "bad_json" });
  errors.inc({ code: "bad_json" });
  errors.inc({ code: "flood" }, 3);
  registry.gauge("sessions_active", "Open sessions").set(4);
  registry.gauge("worker_up", "Up", () => [{ labels: { worker: 'a"b\\c\nd' }, value: 1 }]);
  const h = registry.histogram("voice_to_voice_ms", "V2V", [100, 500, 1000]);
  for (const v of [50, 120, 700, 5000]) h.observe(v);
  h.observe(NaN);
  assert.equal(
    registry.render(),
    [
      "# HELP session_errors_total Errors by code",
      "# TYPE session_errors_total counter",
      'session_errors_total{code="bad_json"} 2',
      'session_errors_total{code="flood"} 3',
      "# HELP sessions_active Open sessions",
      "# TYPE sessions_active gauge",
      "sessions_active 4",
      "# HELP worker_up Up",
      "# TYPE worker_up gauge",
      'worker_up{worker="a\\"b\\\\c\\nd"} 1',
      "# HELP voice_to_voice_ms V2V",
      "# TYPE voice_to_voice_ms histogram",
      'voice_to_voice_ms_bucket{le="100"} 1',
      'voice_to_voice_ms_bucket{le="500"} 2',
      'voice_to_voice_ms_bucket{le="1000"} 3',
      'voice_to_voice_ms_bucket{le="+Inf"} 4',
      "voice_to_voice_ms_sum 5870",
      "voice_to_voice_ms_count 4",
      "",
    ].join("\n"),
  );
});

Deno.test("metrics registry: empty metrics still render a zero series", () => {
  const registry = new MetricsRegistry();
  registry.counter("c_total", "c");
  registry.histogram("h_ms", "h", [1]);
  assert.match(registry.render(), /^c_total 0$/m);
  assert.match(registry.render(), /^h_ms_bucket\{le="\+Inf"\} 0$/m);
});

Deno.test("metrics registry: bad names, duplicates and decreasing counters are refused", () => {
  const registry = new MetricsRegistry();
  assert.throws(() => registry.counter("bad-name", "x"), /invalid metric name/);
  registry.counter("ok_total", "x");
  assert.throws(() => registry.gauge("ok_total", "x"), /registered twice/);
  assert.throws(() => registry.counter("c2_total", "x").inc(undefined, -1), /cannot decrease/);
});

Deno.test("metrics registry: a millisecond histogram records seconds, and only under a _seconds name", () => {
  const registry = new MetricsRegistry();
  const h = registry.histogramMs("turn_seconds", "t", [0.1, 0.5]);
  h.observe(120);
  h.observe(40);
  assert.equal(h.count(), 2);
  const text = registry.render();
  assert.match(text, /^turn_seconds_bucket\{le="0\.1"\} 1$/m);
  assert.match(text, /^turn_seconds_bucket\{le="0\.5"\} 2$/m);
  assert.match(text, /^turn_seconds_sum 0\.16$/m);
  assert.throws(() => registry.histogramMs("turn_ms", "t", [1]), /exported in seconds/);
  assert.deepEqual(registry.names(), ["turn_seconds"]);
});
