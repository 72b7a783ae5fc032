/**
 * Turns the repo's `monitoring/prometheus.yml` (written for the compose network, where the orchestrator is
 * `orchestrator:8081`) into a config for a Prometheus running beside a local stack: the orchestrator's address, the
 * absolute path of the rule file, and optionally faster intervals (tests). Everything else is kept as written, so
 * what runs locally is the file that ships.
 *
 * @module
 */

/** The orchestrator address the repo's file is written for. */
export const COMPOSE_ORCHESTRATOR = "orchestrator:8081";

/** Options of {@linkcode renderPrometheusConfig}. */
export interface PrometheusConfigOptions {
  /** `host:port` of the orchestrator's health port (metrics and `/sd/workers`). */
  orchestrator: string;
  /** Folder holding `alerts.yml` (the repo's `monitoring/`), made absolute in `rule_files`. */
  rulesDir: string;
  /** Overrides `scrape_interval` (e.g. `1s` in tests). */
  scrapeInterval?: string;
  /** Overrides `evaluation_interval`. */
  evaluationInterval?: string;
}

function replaceExactly(text: string, pattern: RegExp, replacement: string, expected: number, what: string): string {
  const found = text.match(
    new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g"),
  );
  if ((found?.length ?? 0) !== expected) {
    throw new Error(`monitoring/prometheus.yml: expected ${expected} ${what}, found ${found?.length ?? 0}`);
  }
  return text.replace(new RegExp(pattern.source, "gm"), replacement);
}

/** The rendered config text; throws naming what it could not find when the file's layout changed. */
export function renderPrometheusConfig(text: string, options: PrometheusConfigOptions): string {
  if (!/^[^\s/:]+:\d{1,5}$/.test(options.orchestrator) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(options.orchestrator)) {
    throw new Error(`orchestrator address "${options.orchestrator}" is not host:port`);
  }
  let out = replaceExactly(text, /orchestrator:8081/m, options.orchestrator, 2, `"${COMPOSE_ORCHESTRATOR}" addresses`);
  const rulesDir = options.rulesDir.replace(/\/+$/, "");
  out = replaceExactly(
    out,
    /^(\s*- )alerts\.yml$/m,
    `$1${JSON.stringify(`${rulesDir}/alerts.yml`)}`,
    1,
    "alerts.yml rule file",
  );
  if (options.scrapeInterval) {
    out = replaceExactly(out, /^(\s*scrape_interval: ).*$/m, `$1${options.scrapeInterval}`, 1, "scrape_interval");
    out = replaceExactly(out, /^(\s*refresh_interval: ).*$/m, `$1${options.scrapeInterval}`, 1, "refresh_interval");
  }
  if (options.evaluationInterval) {
    out = replaceExactly(
      out,
      /^(\s*evaluation_interval: ).*$/m,
      `$1${options.evaluationInterval}`,
      1,
      "evaluation_interval",
    );
  }
  return out;
}
