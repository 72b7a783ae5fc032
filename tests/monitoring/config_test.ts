import assert from "node:assert/strict";
import { renderPrometheusConfig } from "../../scripts/monitoring/prometheus_config.ts";
import { concreteQuery, DATASOURCE_UID, loadDashboard, metricNames } from "./dashboard.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const MONITORING = `${REPO}monitoring`;

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command("promtool", { args, cwd: MONITORING, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("the alert rules pass promtool check rules, and their unit tests pass promtool test rules", async () => {
  const check = await promtool("check", "rules", "alerts.yml");
  assert.equal(check.code, 0, check.output);
  assert.match(check.output, /SUCCESS: 11 rules found/);
  const tests = await promtool("test", "rules", "alerts_test.yml");
  assert.equal(tests.code, 0, tests.output);
});

Deno.test("the repo's prometheus.yml, rendered for a local stack, passes promtool check config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prometheus-config-" });
  try {
    const text = renderPrometheusConfig(await Deno.readTextFile(`${MONITORING}/prometheus.yml`), {
      orchestrator: "127.0.0.1:18081",
      rulesDir: MONITORING,
      scrapeInterval: "1s",
      evaluationInterval: "1s",
    });
    assert.match(text, /targets: \["127\.0\.0\.1:18081"\]/);
    assert.match(text, /url: http:\/\/127\.0\.0\.1:18081\/sd\/workers/);
    assert.match(text, /scrape_interval: 1s/);
    assert.doesNotMatch(text, /orchestrator:8081/);
    await Deno.writeTextFile(`${dir}/prometheus.yml`, text);
    const check = await promtool("check", "config", `${dir}/prometheus.yml`);
    assert.equal(check.code, 0, check.output);
    assert.match(check.output, /SUCCESS: 1 rule files found/);
    // The unrendered file is valid for the compose network too.
    const compose = await promtool("check", "config", "prometheus.yml");
    assert.equal(compose.code, 0, compose.output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.throws(
    () => renderPrometheusConfig("global: {}\n", { orchestrator: "a:1", rulesDir: "/x" }),
    /expected 2 "orchestrator:8081" addresses, found 0/,
  );
  assert.throws(() => renderPrometheusConfig("", { orchestrator: "http://a:1", rulesDir: "/x" }), /not host:port/);
});

Deno.test("the Grafana dashboard has the structure Grafana loads, uses the provisioned datasource, and a panel per seed metric", async () => {
  const panels = await loadDashboard();
  const datasourceFile = await Deno.readTextFile(`${MONITORING}/grafana/provisioning/datasources/prometheus.yml`);
  assert.match(datasourceFile, new RegExp(`uid: ${DATASOURCE_UID}\\b`));
  assert.match(datasourceFile, /url: http:\/\/prometheus:9090/);
  const provider = await Deno.readTextFile(`${MONITORING}/grafana/provisioning/dashboards/voice-chat.yml`);
  assert.match(provider, /path: \/etc\/grafana\/dashboards/);
  const queries = panels.flatMap((p) => p.targets.map((t) => t.expr));
  // The seed's six: first audio latency, frame jitter, ASR time, worker queue depth, memory, GPU utilisation.
  for (
    const metric of [
      "voicechat_tts_first_audio_seconds_bucket",
      "voicechat_frame_jitter_seconds_bucket",
      "voicechat_asr_final_seconds_bucket",
      "voicechat_tts_queue_depth",
      "process_resident_memory_bytes",
      "voicechat_gpu_utilization_ratio",
    ]
  ) assert.ok(queries.some((q) => metricNames(q).includes(metric)), `no panel shows ${metric}`);
  // Latency panels show p50 and p95 over time.
  const fal = panels.find((p) => p.title.startsWith("First audio latency"))!;
  assert.deepEqual(fal.targets.map((t) => t.legendFormat), ["p50", "p95"]);
  // Per worker and per model.
  assert.ok(queries.some((q) => /by \(le, worker, model\)/.test(q)));
  assert.equal(metricNames(concreteQuery(fal.targets[1].expr)).join(), "voicechat_tts_first_audio_seconds_bucket");
});
