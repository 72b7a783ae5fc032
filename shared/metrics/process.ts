/**
 * Process gauges every service exports under the names Prometheus client libraries use, so the usual memory
 * queries work on any of our jobs.
 *
 * @module
 */
import type { MetricsRegistry } from "./registry.ts";

/** When this module was loaded (close enough to the process start for uptime and restart detection). */
const STARTED_AT_S = (Date.now() - performance.now()) / 1000;

/** Adds `process_resident_memory_bytes`, `process_heap_used_bytes`, `process_heap_total_bytes` and `process_start_time_seconds`. */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  registry.gauge("process_resident_memory_bytes", "Resident memory of the process", () => Deno.memoryUsage().rss);
  registry.gauge("process_heap_used_bytes", "V8 heap in use", () => Deno.memoryUsage().heapUsed);
  registry.gauge("process_heap_total_bytes", "V8 heap reserved", () => Deno.memoryUsage().heapTotal);
  registry.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch", () => STARTED_AT_S);
}
