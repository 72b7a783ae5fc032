/**
 * `deno task monitoring`: Prometheus (Debian's `prometheus` package, or any on PATH) beside a running dev stack,
 * with the repo's `monitoring/prometheus.yml` and alert rules pointed at the local orchestrator. Workers are found
 * through the orchestrator's `/sd/workers`, as in compose.
 *
 *     deno task monitoring [--orchestrator 127.0.0.1:8081] [--port 9090]
 *
 * Data goes to `.cache/monitoring/`; Ctrl+C stops it. Grafana is not run here (see docs/OBSERVABILITY.md).
 *
 * @module
 */
import { repoPath, which } from "../setup/paths.ts";
import { renderPrometheusConfig } from "./prometheus_config.ts";

const USAGE = "usage: deno task monitoring [--orchestrator host:port] [--port 9090]";

function parseArgs(argv: string[]): { orchestrator: string; port: number } {
  const args = { orchestrator: "127.0.0.1:8081", port: 9090 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--orchestrator") args.orchestrator = argv[++i] ?? "";
    else if (argv[i] === "--port") args.port = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) throw new Error(`--port must be 1-65535`);
  return args;
}

if (import.meta.main) {
  let args;
  try {
    args = parseArgs(Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
  const prometheus = await which("prometheus");
  if (!prometheus) {
    console.error(
      "prometheus is not installed: apt-get install prometheus (Debian), or use the compose `monitoring` profile",
    );
    Deno.exit(1);
  }
  const dir = repoPath(".cache/monitoring");
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  const config = renderPrometheusConfig(await Deno.readTextFile(repoPath("monitoring/prometheus.yml")), {
    orchestrator: args.orchestrator,
    rulesDir: repoPath("monitoring"),
  });
  await Deno.writeTextFile(`${dir}/prometheus.yml`, config);
  console.log(`prometheus on http://127.0.0.1:${args.port} scraping the orchestrator at ${args.orchestrator}`);
  const child = new Deno.Command(prometheus, {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${args.port}`,
    ],
    stdin: "null",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill("SIGTERM"));
  }
  Deno.exit((await child.status).code);
}
