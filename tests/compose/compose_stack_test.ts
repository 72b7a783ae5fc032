/**
 * `docker compose up` for real, against a Docker engine the test starts itself (dockerd.ts), with the images
 * `deno task compose:images` builds (cached in the engine's data root in the machine cache):
 *
 * - a fresh `.env` from compose:init, `up -d --wait`, every service healthy with nothing from the host;
 * - a spoken turn with our CLI client over wss:// through Caddy, and one from Chromium over LiveKit;
 * - faults: the worker restarted, Redis killed, the orchestrator killed mid-session;
 * - the cosyvoice profile: fails fast without a GPU, runs on the CPU with the override file;
 * - the production file: Caddy serving mounted certificates of a CA made here, Redis persistence, rotation, limits;
 * - `down` leaves no container, network or anonymous volume.
 *
 * One stack serves all steps (each `up` costs a minute on two cores). Build and up times are printed for
 * docs/DEPLOYMENT.md.
 */
import assert from "node:assert/strict";
import { buildImages, formatBytes } from "../../scripts/compose/images.ts";
import { docker } from "../../scripts/compose/docker.ts";
import { PrivateDockerd } from "./dockerd.ts";
import { ComposeProject, until } from "./project.ts";
import { browserTurn, cliTurn } from "./turns.ts";
import { makeLocalCa } from "./local_ca.ts";
import { freePort } from "../../harness/ports.ts";

const DEFAULT_SERVICES = ["caddy", "livekit", "orchestrator", "redis", "tts-piper"];
const HEARTBEAT_MS = 2_000;

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

Deno.test({
  name: "compose: up -d --wait, spoken turns through Caddy, faults, cosyvoice profile, production file, clean down",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const engine = await PrivateDockerd.start();
    let project: ComposeProject | undefined;
    try {
      await t.step("compose:images builds (or finds cached) every image", async () => {
        const started = performance.now();
        const reports = await buildImages({ env: engine.env, log: (line) => console.log(line) });
        const built = reports.filter((r) => r.status === "built").map((r) => r.tag);
        console.log(`compose:images: ${seconds(started)} s in all (built: ${built.join(", ") || "none"})`);
        for (const r of reports) console.log(`  image ${r.tag}: ${formatBytes(r.bytes)}`);
      });

      project = await ComposeProject.create(engine.env);
      const env = await project.env();
      const apiKey = env.get("ORCHESTRATOR_API_KEYS")!;
      let caFile = "";

      await t.step("up -d --wait: every service healthy, assets copied, no host setup", async () => {
        const started = performance.now();
        const up = await project!.compose(["up", "-d", "--wait", "--wait-timeout", "420"], { check: false });
        if (up.code !== 0) {
          const logs = await project!.compose(["logs", "--tail", "40"], { check: false });
          assert.fail(`up failed (exit ${up.code}):\n${up.stderr.slice(-3000)}\n${logs.stdout.slice(-6000)}`);
        }
        console.log(`compose up -d --wait: healthy after ${seconds(started)} s`);
        const states = await project!.states();
        for (const service of DEFAULT_SERVICES) {
          const state = states.find((s) => s.Service === service);
          assert.equal(state?.State, "running", `${service}: ${JSON.stringify(state)}`);
          assert.equal(state?.Health, "healthy", `${service} is healthy`);
        }
        const assets = states.find((s) => s.Service === "assets");
        assert.equal(assets?.State, "exited");
        assert.equal(assets?.ExitCode, 0);
        const models = await project!.exec("orchestrator", ["ls", "/app/models/whisper/tiny.en", "/app/models/silero"]);
        assert.match(models, /tiny\.en-encoder/);
        assert.match(models, /silero_vad_v5\.onnx/);
        caFile = await project!.caddyRootCertificate();
        // The same one-shot refuses a placeholder secret before anything would start.
        const weak = await project!.compose(["run", "--rm", "-T", "-e", "LIVEKIT_API_SECRET=secret", "assets"], {
          check: false,
        });
        assert.notEqual(weak.code, 0);
        assert.match(weak.stdout + weak.stderr, /refusing to start: LIVEKIT_API_SECRET is a placeholder/);
      });

      await t.step(
        "a WebSocket turn with the CLI client through Caddy (wss://) returns a transcript and Piper audio",
        async () => {
          const turn = await cliTurn({
            url: `wss://localhost:${project!.ports.web}`,
            caFile,
            apiKey,
            text: "Can you hear me clearly?",
          });
          assert.ok(turn.audioSeconds > 0.5, `${turn.audioSeconds} s of agent audio`);
          assert.ok(turn.peak > 0.05, "the answer is audible");
          assert.equal(turn.answerText, turn.transcript, "the echo answers what it heard");
        },
      );

      await t.step("the troubleshooting commands of docs/DEPLOYMENT.md work as written", async () => {
        const logs = await project!.compose(["logs", "--tail", "20", "orchestrator"]);
        assert.match(logs.stdout, /orchestrator listening/);
        const ping = await project!.exec("redis", [
          "sh",
          "-c",
          'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" PING',
        ]);
        assert.equal(ping.trim(), "PONG");
        const grpc = await project!.exec("tts-piper", [
          "deno",
          "run",
          "--allow-net=127.0.0.1:7002",
          "--ignore-env",
          "scripts/grpc_health_probe.ts",
          "127.0.0.1:7002",
        ]);
        assert.match(grpc, /SERVING/);
        const health = await project!.exec("orchestrator", [
          "deno",
          "run",
          "--allow-net=127.0.0.1:8081",
          "scripts/http_health_probe.ts",
          "http://127.0.0.1:8081/health",
        ]);
        assert.match(health, /HTTP 200/);
      });

      await t.step("Chromium with a fake microphone talks over LiveKit through wss://localhost:<port>", async () => {
        const turn = await browserTurn(`${project!.webUrl}/`);
        console.log(`browser over LiveKit: heard "${turn.transcript}", ${turn.audibleMs} ms of answer`);
      });

      await t.step(
        "docker compose restart tts-piper: the orchestrator routes to it again within one heartbeat",
        async () => {
          const since = new Date().toISOString();
          await project!.compose(["restart", "tts-piper"]);
          // The worker registers as soon as it serves; the orchestrator's directory must see it join within one
          // heartbeat of that (its own log line), and route the next turn to it.
          const registeredAt = await until(
            () => logTime(project!, "tts-piper", since, "Registered worker tts-piper at"),
            "tts-piper to register again",
            120_000,
            200,
          );
          const joinedAt = await until(
            () => logTime(project!, "orchestrator", since, "Worker tts-piper (tts-piper:7002) joined"),
            "the orchestrator to see tts-piper join",
            60_000,
            200,
          );
          const lagMs = joinedAt - registeredAt;
          console.log(`tts-piper restarted: the orchestrator saw it join ${lagMs} ms after it registered`);
          assert.ok(lagMs <= HEARTBEAT_MS, `${lagMs} ms is more than one heartbeat (${HEARTBEAT_MS} ms)`);
          const turn = await cliTurn({
            url: `wss://localhost:${project!.ports.web}`,
            caFile,
            apiKey,
            text: "Can you hear me clearly?",
          });
          assert.ok(turn.audioSeconds > 0.3);
        },
      );

      await t.step("Redis killed: it restarts by policy and the workers register again", async () => {
        const pid = await project!.pid("redis");
        Deno.kill(pid, "SIGKILL");
        await until(async () => (await project!.pid("redis").catch(() => 0)) !== pid, "redis to restart", 60_000);
        const record = await until(() => registered(project!, "tts-piper"), "tts-piper to re-register", 30_000, 250);
        assert.match(record, /tts-piper:7002/);
        const turn = await cliTurn({
          url: `wss://localhost:${project!.ports.web}`,
          caFile,
          apiKey,
          text: "Please turn on the kitchen lights.",
        });
        assert.ok(turn.audioSeconds > 0.3);
      });

      await t.step("the orchestrator killed mid-session: restarted by its policy, a new session works", async () => {
        const pid = await project!.pid("orchestrator");
        // A session in flight: the client keeps talking while the orchestrator dies under it.
        const inFlight = cliTurn({
          url: `wss://localhost:${project!.ports.web}`,
          caFile,
          apiKey,
          text: "This session will be cut off in the middle of a long sentence about nothing much at all.",
        }).then(() => "completed", (error) => `failed: ${(error as Error).message.split("\n")[0]}`);
        await new Promise((r) => setTimeout(r, 1_500));
        Deno.kill(pid, "SIGKILL");
        console.log(`session in flight when the orchestrator was killed: ${await inFlight}`);
        await until(
          async () => {
            const state = (await project!.states()).find((s) => s.Service === "orchestrator");
            return state?.Health === "healthy" && (await project!.pid("orchestrator")) !== pid;
          },
          "the orchestrator to restart and be healthy",
          180_000,
          500,
        );
        const turn = await cliTurn({
          url: `wss://localhost:${project!.ports.web}`,
          caFile,
          apiKey,
          text: "What time is it now?",
        });
        assert.ok(turn.audioSeconds > 0.3);
      });

      await t.step("--profile cosyvoice without a GPU fails fast and says why", async () => {
        const started = performance.now();
        const run = await project!.compose(["--profile", "cosyvoice", "up", "-d", "--wait", "tts-cosyvoice"], {
          check: false,
        });
        const took = (performance.now() - started) / 1000;
        assert.notEqual(run.code, 0, "it must not pretend to run");
        assert.match(run.stderr, /nvidia/i, run.stderr);
        assert.match(run.stderr, /gpu/i, run.stderr);
        assert.ok(took < 60, `failed after ${took.toFixed(1)} s`);
        console.log(
          `cosyvoice profile without GPU: failed in ${took.toFixed(1)} s: ${run.stderr.trim().split("\n").at(-1)}`,
        );
      });

      await t.step("the CPU override runs the same worker image: healthy, registered, routed to", async () => {
        const files = ["-f", "docker-compose.yml", "-f", "docker-compose.cosyvoice-cpu.yml", "--profile", "cosyvoice"];
        const up = await project!.compose([...files, "up", "-d", "--wait", "--wait-timeout", "300"], { check: false });
        if (up.code !== 0) {
          const logs = await project!.compose([...files, "logs", "--tail", "60", "tts-cosyvoice"], { check: false });
          assert.fail(`cosyvoice CPU up failed:\n${up.stderr.slice(-2000)}\n${logs.stdout.slice(-4000)}`);
        }
        const image = (await project!.compose([...files, "images", "tts-cosyvoice", "--format", "json"])).stdout;
        assert.match(image, /voice-chat\/cosyvoice/);
        const record = JSON.parse(await until(() => registered(project!, "tts-cosyvoice"), "registration", 30_000));
        const model = String(record.defaultModel ?? "");
        assert.ok(model, `the registry entry names a model: ${JSON.stringify(record)}`);
        const turn = await cliTurn({
          url: `wss://localhost:${project!.ports.web}`,
          caFile,
          apiKey,
          text: "Which voice is this?",
          model,
        });
        assert.ok(turn.audioSeconds > 0.3, `the cosyvoice worker answered with ${turn.audioSeconds} s`);
        await project!.compose([...files, "rm", "-s", "-f", "tts-cosyvoice"]);
      });

      await t.step(
        "production file: mounted certificates from a local CA, Redis persistence, rotation, limits",
        async () => {
          const ca = await makeLocalCa(`${project!.dir}/configs/caddy`, "localhost");
          await Deno.writeTextFile(
            `${project!.dir}/.env`,
            (await Deno.readTextFile(`${project!.dir}/.env`)) + `CADDY_TLS=files\nCADDY_HTTP_PORT=${freePort()}\n`,
          );
          const files = ["-f", "docker-compose.yml", "-f", "docker-compose.prod.yml"];
          const up = await project!.compose([...files, "up", "-d", "--wait", "--wait-timeout", "300"], {
            check: false,
          });
          assert.equal(up.code, 0, up.stderr.slice(-3000));
          const trusting = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca.caFile)] });
          try {
            const response = await fetch(`${project!.webUrl}/`, { client: trusting });
            await response.body?.cancel();
            assert.equal(response.status, 200, "Caddy serves the mounted certificate, signed by the test's CA");
          } finally {
            trusting.close();
          }
          const internal = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(caFile)] });
          try {
            await assert.rejects(fetch(`${project!.webUrl}/`, { client: internal }), "not the internal CA's any more");
          } finally {
            internal.close();
          }
          const appendonly = await project!.exec("redis", [
            "sh",
            "-c",
            'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" CONFIG GET appendonly',
          ]);
          assert.match(appendonly, /appendonly\s+yes/);
          for (const state of await project!.states(files)) {
            if (state.Service === "assets") continue;
            const inspect = JSON.parse(
              (await docker(["inspect", "--format", "{{json .HostConfig}}", state.Name], { env: engine.env })).stdout,
            );
            assert.equal(inspect.LogConfig.Type, "json-file", state.Service);
            assert.equal(inspect.LogConfig.Config["max-size"], "10m", state.Service);
            assert.equal(inspect.RestartPolicy.Name, "unless-stopped", state.Service);
            assert.ok(inspect.Memory > 0, `${state.Service} has a memory limit`);
          }
          const logs = await project!.compose([...files, "logs", "--tail", "5", "orchestrator"]);
          assert.match(logs.stdout, /orchestrator/);
        },
      );

      await t.step("down leaves no container, network or anonymous volume behind", async () => {
        const label = `label=com.docker.compose.project=${project!.name}`;
        const danglingBefore = (await docker(["volume", "ls", "-q", "--filter", "dangling=true"], { env: engine.env }))
          .stdout.trim().split("\n").filter(Boolean);
        await project!.compose(["--profile", "cosyvoice", "down", "--timeout", "10"]);
        const containers = await docker(["ps", "-a", "-q", "--filter", label], { env: engine.env });
        assert.equal(containers.stdout.trim(), "", "no container left");
        const networks = await docker(["network", "ls", "-q", "--filter", label], { env: engine.env });
        assert.equal(networks.stdout.trim(), "", "no network left");
        const dangling = (await docker(["volume", "ls", "-q", "--filter", "dangling=true"], { env: engine.env }))
          .stdout.trim().split("\n").filter(Boolean);
        const named = (await docker(["volume", "ls", "-q", "--filter", label], { env: engine.env })).stdout.trim()
          .split("\n").filter(Boolean);
        const anonymous = dangling.filter((v) => !danglingBefore.includes(v) && !named.includes(v));
        assert.deepEqual(anonymous, [], "no anonymous volume left");
        // The named volumes (models, voicepacks, web, redis-data, caddy's) stay until `down -v`.
        assert.ok(named.length >= 5, `named volumes kept: ${named.join(", ")}`);
      });
    } finally {
      await project?.dispose();
      await engine.stop();
    }
  },
});

/** The time (ms) of the first JSON log line of `service` since `since` that contains `needle`, or undefined. */
async function logTime(project: ComposeProject, service: string, since: string, needle: string) {
  const logs = await project.compose(["logs", "--no-log-prefix", "--since", since, service]);
  const line = logs.stdout.split("\n").find((l) => l.includes(needle) && l.startsWith("{"));
  return line ? Date.parse(JSON.parse(line)["@timestamp"]) : undefined;
}

/** The registry entry (JSON text) of worker `name`, read with redis-cli inside the Redis container. */
async function registered(project: ComposeProject, name: string): Promise<string | false> {
  const out = await project.exec("redis", [
    "sh",
    "-c",
    `redis-cli --no-auth-warning -a "$REDIS_PASSWORD" GET tts:worker:${name}`,
  ]);
  return out.trim().startsWith("{") ? out.trim() : false;
}
