/**
 * The monitoring tried for real: `deno task dev-agent-piper` (Redis, LiveKit, Caddy, the Piper worker with a real
 * voice, the orchestrator with real VAD and Whisper) plus Debian's Prometheus running the repo's
 * `monitoring/prometheus.yml` and `alerts.yml`. After three client turns every dashboard query returns data, every
 * metric the dashboard names exists in a live scrape, and stopping the worker makes an alert fire and then clear.
 *
 * No GPU exists here: the stack runs with `GPU_METRICS=on` and a STAND-IN `nvidia-smi` (tests/monitoring/standin/)
 * that replays a real H100 capture, so the GPU panels are fed through the real parsing and export path.
 *
 * @module
 */
import assert from "node:assert/strict";
import { findLivekitServer } from "../../scripts/setup/livekit.ts";
import { descendants, REPO, RunnerProcess, survivors } from "../dev/runner_harness.ts";
import { freePort, freePortRun } from "../../harness/ports.ts";
import { speak } from "../../harness/speech.ts";
import { concreteQuery, loadDashboard, metricNames } from "./dashboard.ts";
import { eventually, PrometheusServer } from "./prometheus_server.ts";

const READY = /^dev\s+\| ready in /;
const SENTENCES = ["Hello, can you hear me?", "What is the weather like today?", "Thank you, that is all."];

/** Metric names (as exposed, `_bucket` etc. included) in an exposition text. */
function exposedNames(text: string): Set<string> {
  return new Set(text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/[{ ]/)[0]));
}

/** The pid of the process whose command line contains `needle`, among `pids`. */
function processWith(pids: number[], needle: string): number | undefined {
  return pids.find((pid) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").some((arg) => arg.includes(needle));
    } catch {
      return false;
    }
  });
}

Deno.test({
  name:
    "dev-agent-piper plus Debian's Prometheus: every dashboard query has data after three turns, and a stopped worker fires an alert that clears",
  sanitizeResources: false,
  async fn(t) {
    assert.ok(await findLivekitServer(), "livekit-server is missing: run `deno task setup`");
    const dir = await Deno.makeTempDir({ prefix: "monitoring-live-test-" });
    const ports = {
      redis: freePort(),
      livekit: await freePortRun(),
      ws: freePort(),
      health: freePort(),
      worker: freePort(),
      web: freePort(),
      lk: freePort(),
    };
    const speeches = await Promise.all(SENTENCES.map((text) => speak({ text, voice: "flite-rms", tailMs: 300 })));
    const stack = new RunnerProcess(["task", "dev-agent-piper"], {
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      LIVEKIT_URL: `ws://127.0.0.1:${ports.livekit}`,
      ORCHESTRATOR_WS_PORT: String(ports.ws),
      ORCHESTRATOR_HEALTH_PORT: String(ports.health),
      WORKER_GRPC_PORT: String(ports.worker),
      CADDY_WEB_PORT: String(ports.web),
      CADDY_LIVEKIT_PORT: String(ports.lk),
      XDG_DATA_HOME: `${dir}/data`,
      XDG_CONFIG_HOME: `${dir}/config`,
      LOG_FORMAT: "json",
      GPU_METRICS: "on",
      PATH: `${REPO}tests/monitoring/standin:${Deno.env.get("PATH")}`,
    }, { newSession: true });
    let prometheus: PrometheusServer | null = null;
    let tree: number[] = [];
    let workerPid: number | undefined;
    try {
      await stack.waitFor(READY, 300_000);
      tree = descendants(stack.pid);
      workerPid = processWith(tree, "workers/piper/main.ts");
      assert.ok(workerPid, "the Piper worker process is found");
      prometheus = await PrometheusServer.start(`127.0.0.1:${ports.health}`);
      const server = prometheus;
      await eventually(
        async () => {
          const targets = await server.targets();
          const up = targets.filter((t) => t.health === "up").map((t) => t.labels.job).sort();
          return up.join() === "orchestrator,tts-workers" ? targets : undefined;
        },
        "Prometheus to scrape the orchestrator and, found through /sd/workers, the worker",
        30_000,
      );

      for (const [i, speech] of speeches.entries()) {
        const client = await new Deno.Command(Deno.execPath(), {
          args: ["task", "client", speech.wavPath, "--url", `ws://127.0.0.1:${ports.ws}`, "--timeout", "90"],
          cwd: REPO,
          env: { NO_COLOR: "1" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        const events = new TextDecoder().decode(client.stdout);
        assert.equal(
          client.code,
          0,
          `client turn ${i + 1} failed:\n${events}\n${new TextDecoder().decode(client.stderr)}`,
        );
        assert.match(events, /"type":"response\.done"/);
      }
      await eventually(
        async () => {
          const [turns] = await server.query("sum(voicechat_voice_to_voice_seconds_count)");
          return Number(turns?.value[1]) >= 3 ? true : undefined;
        },
        "Prometheus to have scraped the three turns",
        20_000,
      );

      await t.step("every dashboard panel's PromQL returns data through Prometheus's HTTP API", async () => {
        const panels = await loadDashboard();
        const empty: string[] = [];
        const report: string[] = [];
        for (const panel of panels) {
          let finite = 0;
          for (const target of panel.targets) {
            const result = await server.query(concreteQuery(target.expr));
            if (result.length === 0) empty.push(`${panel.title} [${target.refId}] ${target.expr}`);
            const values = result.map((s) => Number(s.value[1])).filter(Number.isFinite);
            finite += values.length;
            report.push(
              `${panel.title} [${target.legendFormat}]: ${values.slice(0, 3).map((v) => +v.toPrecision(4)).join(", ")}`,
            );
          }
          assert.ok(finite > 0, `panel "${panel.title}" shows no number`);
        }
        assert.deepEqual(empty, [], "queries with no series");
        console.log(report.join("\n"));
      });

      await t.step("every metric the dashboard names exists in a live scrape", async () => {
        const [orchestrator] = await Promise.all([
          fetch(`http://127.0.0.1:${ports.health}/metrics`).then((r) => r.text()),
        ]);
        const groups = await (await fetch(`http://127.0.0.1:${ports.health}/sd/workers`)).json();
        assert.equal(groups.length, 1, JSON.stringify(groups));
        const worker = await (await fetch(`http://${groups[0].targets[0]}/metrics`)).text();
        const exposed = new Set([...exposedNames(orchestrator), ...exposedNames(worker), "up"]);
        const named = new Set((await loadDashboard()).flatMap((p) => p.targets.flatMap((q) => metricNames(q.expr))));
        assert.deepEqual([...named].filter((n) => !exposed.has(n)), []);
      });

      await t.step("the seed's six metrics carry real values", async () => {
        const one = async (q: string) => Number((await server.query(q))[0]?.value[1]);
        const fal = await one(
          "sum(voicechat_tts_first_audio_seconds_sum) / sum(voicechat_tts_first_audio_seconds_count)",
        );
        assert.ok(fal > 0 && fal < 5, `mean first audio latency ${fal} s`);
        assert.ok(await one("sum(voicechat_frame_jitter_seconds_count)") > 50, "frame jitter observed per frame");
        const asr = await one("sum(voicechat_asr_compute_seconds_sum) / sum(voicechat_asr_compute_seconds_count)");
        assert.ok(asr > 0 && asr < 10, `mean ASR compute ${asr} s`);
        assert.equal(await one('sum(voicechat_tts_queue_depth{job="tts-workers"})'), 0);
        assert.ok(await one('max(process_resident_memory_bytes{job="tts-workers"})') > 50e6);
        assert.equal(
          await one('max(voicechat_gpu_utilization_ratio{job="tts-workers"})'),
          1,
          "the H100 capture's 100 %",
        );
      });

      await t.step(
        "LOG_FORMAT=json: one object per line, and each turn's lines carry its session and request ids in both services",
        () => {
          const services = stack.lines.map((l) => /^(orchestrator|worker)\s+\| (.*)$/.exec(l)).filter((m) =>
            m !== null
          );
          // Deno itself announces the task it runs ("Task …") and warns about a missing .env ("Warning …"); every
          // other line is ours.
          const ours = services.filter((m) => !/^(Task|Warning) /.test(m[2]));
          const notJson = ours.filter((m) => {
            try {
              const value = JSON.parse(m[2]);
              return typeof value !== "object" || value === null || !value["@timestamp"] || !value.message;
            } catch {
              return true;
            }
          });
          assert.deepEqual(notJson.map((m) => m.input), [], "lines that are not one JSON log object");
          const records = ours.map((m) => ({ service: m[1], ...JSON.parse(m[2]) }));
          const done = records.filter((r) => r.service === "orchestrator" && /^response \S+ done/.test(r.message));
          assert.equal(done.length, 3, "one 'response … done' line per turn");
          for (const turn of done) {
            assert.match(turn.request_id, new RegExp(`^${turn.session_id}-r\\d+$`));
            const lines = records.filter((r) => r.request_id === turn.request_id);
            assert.deepEqual(
              lines.filter((r) => r.session_id !== turn.session_id),
              [],
              "every line of the turn names its session",
            );
            const fromWorker = lines.filter((r) => r.service === "worker");
            assert.ok(
              fromWorker.some((r) => /^synthesized /.test(r.message)),
              `the worker logged turn ${turn.request_id}`,
            );
            assert.ok(fromWorker.every((r) => r.worker_session_id?.startsWith(turn.session_id)));
          }
          console.log(`${records.length} JSON log lines; turn ${done[0].request_id}:`);
          console.log(
            records.filter((r) => r.request_id === done[0].request_id).map((r) => `${r.service}: ${r.message}`).join(
              "\n",
            ),
          );
        },
      );

      await t.step(
        "stopping the worker fires NoHealthyWorkerForModel, and it clears when the worker is back",
        async () => {
          const firing = async () =>
            (await server.alerts()).filter((a) => a.labels.alertname === "NoHealthyWorkerForModel");
          assert.deepEqual(await firing(), [], "no alert before");
          const stoppedAt = performance.now();
          Deno.kill(workerPid!, "SIGSTOP");
          try {
            const alert = await eventually(
              async () => (await firing()).find((a) => a.state === "firing"),
              "NoHealthyWorkerForModel to fire",
              90_000,
            );
            assert.equal(alert.labels.severity, "critical");
            assert.match(alert.labels.model, /^piper-/);
            console.log(
              `alert firing ${((performance.now() - stoppedAt) / 1000).toFixed(1)} s after the worker stopped`,
            );
          } finally {
            Deno.kill(workerPid!, "SIGCONT");
          }
          const resumedAt = performance.now();
          await eventually(async () => (await firing()).length === 0 ? true : undefined, "the alert to clear", 90_000);
          console.log(
            `alert cleared ${((performance.now() - resumedAt) / 1000).toFixed(1)} s after the worker resumed`,
          );
        },
      );
    } finally {
      await prometheus?.dispose();
      if (workerPid) {
        try {
          Deno.kill(workerPid, "SIGCONT");
        } catch { /* gone */ }
      }
      stack.signal("SIGINT", { group: true });
      await stack.exit(30_000);
      stack.signal("SIGKILL", { group: true });
      for (const pid of await survivors(tree, 1000)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
