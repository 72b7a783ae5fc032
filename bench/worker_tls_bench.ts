/**
 * What TLS costs on the worker link: first-frame latency and the time to the 20th frame over plaintext gRPC and over
 * mutual TLS, measured side by side (two mock worker processes, started as `deno task run-tts-mock` starts them, one
 * plaintext and one with `WORKER_TLS_*` from `deno task certs:dev`'s code; runs alternate between them), plus the cost
 * of opening a connection (new channel → first answer). Reported as ratios TLS / plaintext.
 *
 * `BENCH_RUNS` (default 100) runs per link.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { TTSServiceClient } from "../proto/gen/tts.ts";
import { WorkerProcess } from "../harness/task_process.ts";
import { makeDevCerts } from "../scripts/certs/dev_certs.ts";
import { channelCredentials, type WorkerClientTls } from "../shared/security/worker_tls.ts";
import { unary } from "../harness/tts_stream.ts";
import { percentile } from "../harness/ws_stack.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 100);
const TEXT = "The quick brown fox jumps over the lazy dog. ".repeat(4);
const FRAMES = 20;

function client(address: string, tls?: WorkerClientTls): TTSServiceClient {
  const link = channelCredentials(address, tls);
  return new TTSServiceClient(address, link.credentials, link.options);
}

/** One stream: first frame and 20th frame after the first TextChunk is written; the rest is cancelled. */
async function run(c: TTSServiceClient, sessionId: string): Promise<{ first: number; twentieth: number }> {
  const stream = c.synthesize();
  let first = 0, twentieth = 0, frames = 0;
  const done = new Promise<void>((resolve) => {
    stream.on("data", () => {
      const now = performance.now();
      if (!first) first = now;
      if (++frames === FRAMES) {
        twentieth = now;
        stream.cancel();
      }
    });
    stream.on("error", () => resolve());
    stream.on("end", () => resolve());
  });
  const sent = performance.now();
  stream.write({ sessionId, text: TEXT, endOfInput: true, flush: false });
  await done;
  return { first: first - sent, twentieth: twentieth - sent };
}

async function serving(c: TTSServiceClient, worker: WorkerProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (true) {
    try {
      return void await unary(c.getCapabilities.bind(c), {});
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`worker did not start: ${error}\n${worker.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

if (import.meta.main) {
  await Deno.mkdir(".cache/certs", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".cache/certs", prefix: "bench-" });
  const certs = await makeDevCerts({ dir });
  const read = (path: string) => Buffer.from(Deno.readFileSync(path));
  const tls = { ca: read(certs.caCert), cert: read(certs.clientCert), key: read(certs.clientKey) };
  const base = { REDIS_URL: "redis://127.0.0.1:1", LOG_LEVEL: "error", WORKER_METRICS_PORT: "off" };
  const plainWorker = WorkerProcess.start("run-tts-mock", base);
  const tlsWorker = WorkerProcess.start("run-tts-mock", {
    ...base,
    WORKER_TLS_CERT: certs.workerCert,
    WORKER_TLS_KEY: certs.workerKey,
    WORKER_TLS_CA: certs.caCert,
  });
  const links = {
    plaintext: { worker: plainWorker, tls: undefined },
    "mutual TLS": { worker: tlsWorker, tls },
  };
  const clients = Object.entries(links).map(([label, l]) => ({
    label,
    ...l,
    client: client(`127.0.0.1:${l.worker.port}`, l.tls),
    first: [] as number[],
    twentieth: [] as number[],
    connect: [] as number[],
  }));
  try {
    for (const c of clients) {
      await serving(c.client, c.worker);
      await unary(c.client.startSession.bind(c.client), { sessionId: "bench", modelId: "" });
      for (let i = 0; i < 5; i++) await run(c.client, "bench"); // warm up
    }
    for (let i = 0; i < RUNS; i++) {
      for (const c of clients) {
        const r = await run(c.client, "bench");
        c.first.push(r.first);
        c.twentieth.push(r.twentieth);
      }
    }
    // Connection cost: a fresh channel (TCP + TLS handshake + HTTP/2 setup) to its first answer.
    for (let i = 0; i < Math.min(RUNS, 30); i++) {
      for (const c of clients) {
        const fresh = client(`127.0.0.1:${c.worker.port}`, c.tls);
        const start = performance.now();
        await unary(fresh.getCapabilities.bind(fresh), {});
        c.connect.push(performance.now() - start);
        fresh.close();
      }
    }
    console.log(`mock workers (own processes) over loopback gRPC, ${RUNS} alternating runs per link`);
    console.log("| figure | link | p50 ms | p95 ms | max ms |");
    console.log("|---|---|---|---|---|");
    for (const figure of ["first", "twentieth", "connect"] as const) {
      for (const c of clients) {
        const v = c[figure];
        const cells = [percentile(v, 50), percentile(v, 95), Math.max(...v)].map((x) => x.toFixed(2));
        console.log(
          `| ${
            figure === "first" ? "first frame" : figure === "twentieth" ? `frame ${FRAMES}` : "new connection"
          } | ${c.label} | ${cells.join(" | ")} |`,
        );
      }
      const ratio = (p: number) => (percentile(clients[1][figure], p) / percentile(clients[0][figure], p)).toFixed(2);
      console.log(`| ${figure}: TLS / plaintext | | ${ratio(50)} | ${ratio(95)} | |`);
    }
  } finally {
    // Stop the workers before closing the clients (no GOAWAY reaches a client: denoland/deno#36788).
    for (const c of clients) c.worker.kill("SIGTERM");
    for (const c of clients) await c.worker.close(false);
    for (const c of clients) c.client.close();
    await Deno.remove(dir, { recursive: true });
  }
}
