// The capture's Prometheus metrics (docs/monitoring.md): what happened to each captured row, versions written, and
// the bytes this pod's folder holds.
import client from "prom-client";

export type CaptureOutcome = "written" | "sampled_out" | "dropped_full" | "dropped_error";

export class CaptureMetrics {
  private readonly records: Record<CaptureOutcome, client.Counter.Internal>;
  private readonly versions: client.Counter<"model">;
  private readonly bytes: client.Gauge<"model">;

  constructor(
    registry: client.Registry,
    private readonly model: string,
  ) {
    const registers = [registry];
    const records = new client.Counter({
      name: "liftoff_capture_records_total",
      help: "Rows of served requests by what capture did with them",
      labelNames: ["model", "outcome"],
      registers,
    });
    // Bound children: the request path increments without hashing a label set each time.
    const child = (outcome: CaptureOutcome) => records.labels({ model, outcome });
    this.versions = new client.Counter({
      name: "liftoff_capture_versions_total",
      help: "Capture versions this pod wrote",
      labelNames: ["model"],
      registers,
    });
    this.bytes = new client.Gauge({
      name: "liftoff_capture_bytes",
      help: "Bytes of this pod's capture versions (after pruning)",
      labelNames: ["model"],
      registers,
    });
    this.records = {
      written: child("written"),
      sampled_out: child("sampled_out"),
      dropped_full: child("dropped_full"),
      dropped_error: child("dropped_error"),
    };
    // Every outcome is shown from the start, 0 until it happens.
    for (const c of Object.values(this.records)) c.inc(0);
    this.versions.inc({ model }, 0);
  }

  rows(outcome: CaptureOutcome, n: number): void {
    this.records[outcome].inc(n);
  }

  version(bytes: number | undefined): void {
    this.versions.inc({ model: this.model });
    if (bytes !== undefined) this.bytes.set({ model: this.model }, bytes);
  }
}
