/**
 * Debian's `prometheus` (installed by `.ci/run`) run by a test with the repo's `monitoring/prometheus.yml` and alert
 * rules, pointed at a stack's orchestrator, on a free loopback port with throwaway storage; plus the few HTTP API
 * calls the tests make.
 *
 * @module
 */
import { renderPrometheusConfig } from "../../scripts/monitoring/prometheus_config.ts";
import { freePort } from "../../harness/ports.ts";

const MONITORING = new URL("../../monitoring", import.meta.url).pathname;

/** One series of an instant query. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One alert as `/api/v1/alerts` reports it. */
export interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}

/** A running Prometheus. */
export class PrometheusServer {
  readonly #output: string[] = [];

  private constructor(readonly url: string, readonly dir: string, readonly child: Deno.ChildProcess) {
    void this.#pump(child.stderr);
  }

  /** Starts Prometheus scraping `orchestrator` (`host:port` of its health port) every second; waits until ready. */
  static async start(orchestrator: string): Promise<PrometheusServer> {
    const dir = await Deno.makeTempDir({ prefix: "prometheus-test-" });
    const config = renderPrometheusConfig(await Deno.readTextFile(`${MONITORING}/prometheus.yml`), {
      orchestrator,
      rulesDir: MONITORING,
      scrapeInterval: "1s",
      evaluationInterval: "1s",
    });
    await Deno.writeTextFile(`${dir}/prometheus.yml`, config);
    const port = freePort();
    const child = new Deno.Command("prometheus", {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, dir, child);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ready = await fetch(`${server.url}/-/ready`).then((r) => (r.body?.cancel(), r.ok), () => false);
      if (ready) return server;
      await new Promise((r) => setTimeout(r, 200));
    }
    await server.dispose();
    throw new Error(`prometheus did not become ready in 30 s:\n${server.output}`);
  }

  /** What Prometheus logged (for failure messages). */
  get output(): string {
    return this.#output.join("").slice(-4000);
  }

  /** An instant query; throws with Prometheus's error for a bad query. */
  async query(promql: string): Promise<Sample[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = await response.json();
    if (body.status !== "success") throw new Error(`query ${promql} failed: ${body.errorType}: ${body.error}`);
    if (body.data.resultType !== "vector") throw new Error(`query ${promql} gave a ${body.data.resultType}`);
    return body.data.result as Sample[];
  }

  /** Active scrape targets: job, health and labels. */
  async targets(): Promise<Array<{ labels: Record<string, string>; health: string; scrapeUrl: string }>> {
    const body = await (await fetch(`${this.url}/api/v1/targets?state=active`)).json();
    return body.data.activeTargets;
  }

  /** Pending and firing alerts. */
  async alerts(): Promise<Alert[]> {
    const body = await (await fetch(`${this.url}/api/v1/alerts`)).json();
    return body.data.alerts;
  }

  /** Stops Prometheus and removes its storage. */
  async dispose(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch { /* already gone */ }
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  async #pump(stream: ReadableStream<Uint8Array<ArrayBuffer>>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.#output.push(chunk);
      if (this.#output.length > 200) this.#output.shift();
    }
  }
}

/** Polls `check` every 250 ms until it returns a value other than undefined; throws `what` on timeout. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}`,
  );
}
