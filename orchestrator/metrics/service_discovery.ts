/**
 * Prometheus HTTP service discovery of the TTS workers: the orchestrator lists, from the Redis registry, every
 * worker's metrics address, so a worker that joins is scraped with no edit to `monitoring/prometheus.yml` and one
 * that leaves drops out. Served at {@linkcode SERVICE_DISCOVERY_PATH} on the health port.
 *
 * Format: https://prometheus.io/docs/prometheus/latest/http_sd/ (a JSON list of target groups).
 *
 * @module
 */
import type { WorkerRecord } from "../../shared/registry/worker_record.ts";

/** Path of the http_sd endpoint on the health port. */
export const SERVICE_DISCOVERY_PATH = "/sd/workers";

/** One http_sd target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/**
 * One target group per worker that advertises a metrics address, labelled with what the dashboard groups by: the
 * worker name, its adapter, its device and its default model. Workers without a listener are left out.
 */
export function workerTargets(records: readonly WorkerRecord[]): TargetGroup[] {
  return records.filter((r) => r.metricsAddress).map((r) => ({
    targets: [r.metricsAddress!],
    labels: {
      worker: r.name,
      adapter: r.adapter,
      device: r.capabilities.device,
      default_model: r.defaultModel,
    },
  }));
}
