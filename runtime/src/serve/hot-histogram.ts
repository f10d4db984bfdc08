/**
 * A prom-client Histogram whose series are plain numbers. prom-client's own
 * observe() validates and hashes the label set on every call (about 0.3 µs, and
 * a request observes four histograms), which is more than a tiny model's
 * inference; here a request finds its series once (`series()`, cached by the
 * caller) and observing is a bucket search and three additions. The registry
 * reads the series at scrape time through the usual metric interface, so the
 * exposition is prom-client's: same names, label order and `le` values.
 */
import client from "prom-client";

export class HistogramSeries {
  /** Non-cumulative counts per bucket; the last is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += v;
    this.count++;
  }
}

type Values = Awaited<ReturnType<client.Histogram["get"]>>;

export class HotHistogram<T extends string> extends client.Histogram<T> {
  private readonly bounds: readonly number[];
  private readonly all = new Map<string, HistogramSeries>();

  constructor(config: client.HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /** The series of `labels` (created on first use); keep it and observe it directly. */
  series(labels: Readonly<Record<T, string>>): HistogramSeries {
    const key = JSON.stringify(labels);
    let s = this.all.get(key);
    if (s === undefined) {
      s = new HistogramSeries(this.bounds, labels);
      this.all.set(key, s);
    }
    return s;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    for (const s of this.all?.values() ?? []) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  /** What prom-client's Registry formats: cumulative `_bucket`s with `le` first, then `_sum` and `_count`. */
  override async get(): Promise<Values> {
    const name = (this as unknown as { name: string }).name;
    const values: Values["values"] = [];
    for (const s of this.all.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i] as number;
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${name}_bucket` } as never);
      });
      values.push({ labels: { le: "+Inf", ...s.labels }, value: s.count, metricName: `${name}_bucket` } as never);
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` } as never);
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${name}_count` } as never);
    }
    const self = this as unknown as Pick<Values, "help" | "type" | "aggregator">;
    return { name, help: self.help, type: self.type, values, aggregator: self.aggregator } as Values;
  }

  /** The Registry prefers this name when present (prom-client's own Histogram has it). */
  getForPromString(): Promise<Values> {
    return this.get();
  }
}
