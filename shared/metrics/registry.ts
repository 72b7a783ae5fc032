/**
 * A tiny Prometheus registry shared by the orchestrator and the workers: counters, gauges (set or sampled at scrape
 * time) and histograms with fixed buckets, each with optional labels, rendered in the text exposition format 0.0.4.
 * Metrics are in base units (`_seconds`, `_bytes`); code that measures in milliseconds records through
 * {@linkcode MillisecondHistogram} so the conversion lives in one place.
 *
 * @module
 */

/** Label names to values. */
export type Labels = Record<string, string>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

interface Metric {
  readonly name: string;
  render(): string;
}

function labelKey(labels: Labels | undefined): string {
  if (!labels) return "";
  const names = Object.keys(labels).sort();
  return names.map((n) => `${n}="${escapeLabel(labels[n])}"`).join(",");
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}\n# TYPE ${name} ${type}\n`;
}

function series(name: string, key: string, value: number): string {
  return `${name}${key ? `{${key}}` : ""} ${formatNumber(value)}\n`;
}

/** A monotonically increasing count. */
export class Counter implements Metric {
  #values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels?: Labels, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${this.name} cannot decrease`);
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  /** The current value of the series of `labels`. */
  get(labels?: Labels): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }

  /** The exposition text of this metric. */
  render(): string {
    let out = header(this.name, this.help, "counter");
    if (this.#values.size === 0) out += series(this.name, "", 0);
    for (const [key, value] of this.#values) out += series(this.name, key, value);
    return out;
  }
}

/** One labelled value returned by a sampled gauge. */
export interface GaugeSample {
  labels?: Labels;
  value: number;
}

/** A value that goes up and down; optionally sampled by a callback at scrape time. */
export class Gauge implements Metric {
  #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly sample?: () => GaugeSample[] | number,
  ) {}

  /** Sets the series of `labels` to `value`. */
  set(value: number, labels?: Labels): void {
    this.#values.set(labelKey(labels), value);
  }

  /** Adds `delta` (may be negative) to the series of `labels`. */
  add(delta: number, labels?: Labels): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + delta);
  }

  /** The current value of the series of `labels` (set values only, not sampled ones). */
  get(labels?: Labels): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }

  /** The exposition text of this metric; a sampled gauge calls its callback now. */
  render(): string {
    let out = header(this.name, this.help, "gauge");
    if (this.sample) {
      const sampled = this.sample();
      if (typeof sampled === "number") return out + series(this.name, "", sampled);
      for (const { labels, value } of sampled) out += series(this.name, labelKey(labels), value);
      return out;
    }
    if (this.#values.size === 0) out += series(this.name, "", 0);
    for (const [key, value] of this.#values) out += series(this.name, key, value);
    return out;
  }
}

interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets. */
export class Histogram implements Metric {
  readonly buckets: readonly number[];
  #series = new Map<string, HistogramSeries>();

  constructor(readonly name: string, readonly help: string, buckets: readonly number[]) {
    this.buckets = [...buckets].sort((a, b) => a - b);
    if (this.buckets.length === 0) throw new RangeError(`histogram ${name} needs at least one bucket`);
  }

  /** Counts one observation (non-finite values are ignored). */
  observe(value: number, labels?: Labels): void {
    if (!Number.isFinite(value)) return;
    const key = labelKey(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Number of observations (for tests and benches). */
  count(labels?: Labels): number {
    return this.#series.get(labelKey(labels))?.count ?? 0;
  }

  /** The exposition text of this metric. */
  render(): string {
    let out = header(this.name, this.help, "histogram");
    const entries = this.#series.size
      ? [...this.#series]
      : [["", { counts: this.buckets.map(() => 0), sum: 0, count: 0 }]] as const;
    for (const [key, s] of entries) {
      const prefix = key ? `${key},` : "";
      this.buckets.forEach((le, i) => {
        out += `${this.name}_bucket{${prefix}le="${formatNumber(le)}"} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket{${prefix}le="+Inf"} ${s.count}\n`;
      out += series(`${this.name}_sum`, key, s.sum);
      out += series(`${this.name}_count`, key, s.count);
    }
    return out;
  }
}

/**
 * A `_seconds` histogram fed in milliseconds, the unit the session and worker clocks measure in: the conversion to
 * Prometheus's base unit happens here and nowhere else.
 */
export class MillisecondHistogram {
  constructor(readonly seconds: Histogram) {}

  /** Counts one observation given in milliseconds. */
  observe(ms: number, labels?: Labels): void {
    this.seconds.observe(ms / 1000, labels);
  }

  /** Number of observations (for tests and benches). */
  count(labels?: Labels): number {
    return this.seconds.count(labels);
  }
}

/** A set of metrics rendered together. */
export class MetricsRegistry {
  #metrics = new Map<string, Metric>();

  /** Adds a counter. */
  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  /** Adds a gauge; with `sample`, its values are read at scrape time. */
  gauge(name: string, help: string, sample?: Gauge["sample"]): Gauge {
    return this.#add(new Gauge(name, help, sample));
  }

  /** Adds a histogram with these upper bucket bounds. */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  /** Adds a `_seconds` histogram (buckets in seconds) that is fed in milliseconds. */
  histogramMs(name: string, help: string, bucketsSeconds: readonly number[]): MillisecondHistogram {
    if (!name.endsWith("_seconds")) throw new RangeError(`histogram ${name} is fed in ms but exported in seconds`);
    return new MillisecondHistogram(this.histogram(name, help, bucketsSeconds));
  }

  /** Names of the registered metrics (the dashboard test checks its queries against them). */
  names(): string[] {
    return [...this.#metrics.keys()];
  }

  /** The exposition text (content type {@linkcode PROMETHEUS_CONTENT_TYPE}). */
  render(): string {
    return [...this.#metrics.values()].map((m) => m.render()).join("");
  }

  #add<M extends Metric>(metric: M): M {
    if (!NAME.test(metric.name)) throw new RangeError(`invalid metric name "${metric.name}"`);
    if (this.#metrics.has(metric.name)) throw new RangeError(`metric ${metric.name} registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
