/**
 * Reads and checks the structure of the Grafana dashboard in `monitoring/grafana/dashboards/` (Grafana itself
 * cannot be installed here): the fields Grafana needs to load it, unique ids, panels on the 24-column grid, and every
 * query naming the provisioned datasource. Also lists each panel's PromQL and the metric names it refers to.
 *
 * @module
 */
import { z } from "zod";

const REPO = new URL("../../", import.meta.url);
/** The dashboard file. */
export const DASHBOARD_PATH = new URL("monitoring/grafana/dashboards/voice-chat.json", REPO);
/** The uid the provisioned datasource has (monitoring/grafana/provisioning/datasources/prometheus.yml). */
export const DATASOURCE_UID = "voicechat-prometheus";

const datasource = z.object({ type: z.literal("prometheus"), uid: z.literal(DATASOURCE_UID) });
const gridPos = z.object({
  h: z.number().int().positive(),
  w: z.number().int().min(1).max(24),
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
}).refine((g) => g.x + g.w <= 24, "panel runs past the 24-column grid");
const target = z.object({
  refId: z.string().regex(/^[A-Z]$/),
  datasource,
  expr: z.string().min(1),
  legendFormat: z.string(),
});
const rowPanel = z.object({ id: z.number().int(), type: z.literal("row"), title: z.string().min(1), gridPos });
const queryPanel = z.object({
  id: z.number().int(),
  type: z.enum(["timeseries", "stat", "gauge", "bargauge", "table"]),
  title: z.string().min(1),
  description: z.string().min(1),
  datasource,
  gridPos,
  fieldConfig: z.object({ defaults: z.object({ unit: z.string().min(1) }).passthrough() }).passthrough(),
  targets: z.array(target).min(1),
});
const dashboardSchema = z.object({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(30),
  time: z.object({ from: z.string(), to: z.string() }),
  refresh: z.string(),
  panels: z.array(z.union([rowPanel, queryPanel])).min(1),
});

/** A query panel of the dashboard. */
export type QueryPanel = z.infer<typeof queryPanel>;

/** Parses and checks the dashboard; throws naming every problem. Returns its query panels. */
export async function loadDashboard(): Promise<QueryPanel[]> {
  const parsed = dashboardSchema.safeParse(JSON.parse(await Deno.readTextFile(DASHBOARD_PATH)));
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
  }
  const panels = parsed.data.panels;
  const ids = panels.map((p) => p.id);
  if (new Set(ids).size !== ids.length) throw new Error(`panel ids repeat: ${ids.join(",")}`);
  // No two panels may overlap on the grid.
  for (const [i, a] of panels.entries()) {
    for (const b of panels.slice(i + 1)) {
      const g = a.gridPos, h = b.gridPos;
      if (g.x < h.x + h.w && h.x < g.x + g.w && g.y < h.y + h.h && h.y < g.y + g.h) {
        throw new Error(`panels "${a.title}" and "${b.title}" overlap`);
      }
    }
  }
  return panels.filter((p): p is QueryPanel => p.type !== "row");
}

/** Grafana's interval variables replaced by a fixed window, so a query can go straight to Prometheus. */
export function concreteQuery(expr: string, window = "5m"): string {
  return expr.replaceAll("$__rate_interval", window).replaceAll("$__interval", window);
}

const PROMQL_WORDS = new Set([
  "sum",
  "max",
  "min",
  "avg",
  "count",
  "by",
  "without",
  "rate",
  "irate",
  "increase",
  "histogram_quantile",
  "le",
  "on",
  "ignoring",
  "and",
  "or",
  "unless",
  "avg_over_time",
]);

/**
 * The metric names an expression selects, as they appear in an exposition (`…_bucket`, `…_sum` and `…_count` of a
 * histogram are kept as written). Label names inside `by (…)` and `{…}` are not metrics and are left out.
 */
export function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, "").replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, "")
    .replace(/"[^"]*"/g, "").replace(/\[[^\]]*\]/g, "");
  const names = withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n) && !/^\d/.test(n)))];
}
