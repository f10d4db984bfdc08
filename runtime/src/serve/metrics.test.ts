import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "./test-helpers.js";

describe("/metrics", () => {
  it("is Prometheus text that a parser reads, with every runtime family and process metrics", async () => {
    const { app, metrics } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()));
    metrics.setBackend({ name: "cpu", tfjsBackend: "cpu", tfjsVersion: "4.22.0", libVersion: undefined });
    metrics.loaded("fetch", 0.01);
    await app.inject({
      method: "POST",
      url: "/v1/models/m:predict",
      payload: {
        instances: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
    });
    await app.inject({ method: "POST", url: "/v2/models/m/infer", payload: { inputs: [] } });
    await app.inject({ method: "POST", url: "/v1/models/m:predict", payload: { instances: [[1, 2, 3]] } });

    const r = await app.inject({ url: "/metrics" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = new Map(parsePrometheusTextFormat(r.body).map((f) => [f.name, f]));

    const types: Record<string, string> = {
      liftoff_inference_requests_total: "COUNTER",
      liftoff_inference_request_duration_seconds: "HISTOGRAM",
      liftoff_inference_queue_duration_seconds: "HISTOGRAM",
      liftoff_inference_compute_duration_seconds: "HISTOGRAM",
      liftoff_inference_batch_size: "HISTOGRAM",
      liftoff_inference_count_total: "COUNTER",
      liftoff_inference_exec_count_total: "COUNTER",
      liftoff_model_load_seconds: "GAUGE",
      liftoff_model_ready: "GAUGE",
      liftoff_runtime_backend_info: "GAUGE",
      liftoff_inference_requests_in_flight: "GAUGE",
      process_cpu_seconds_total: "COUNTER",
      process_resident_memory_bytes: "GAUGE",
      nodejs_eventloop_lag_seconds: "GAUGE",
    };
    for (const [name, type] of Object.entries(types)) {
      expect(families.get(name)?.type, name).toBe(type);
    }

    const requests = families.get("liftoff_inference_requests_total")?.metrics ?? [];
    const byKey = Object.fromEntries(requests.map((m) => [`${m.labels?.protocol}/${m.labels?.code}`, m.value]));
    expect(byKey).toEqual({ "v1/200": "2", "v2/400": "1" });
    // This parser folds labelled histogram series together, so read their counts from the text.
    expect(r.body).toMatch(
      /^liftoff_inference_request_duration_seconds_count\{model="m",protocol="v1",code="200"\} 2$/m,
    );
    expect(r.body).toMatch(/^liftoff_inference_batch_size_count\{model="m"\} 2$/m);
    expect(families.get("liftoff_inference_count_total")?.metrics[0]?.value).toBe("3");
    expect(families.get("liftoff_inference_exec_count_total")?.metrics[0]?.value).toBe("2");
    expect(families.get("liftoff_model_ready")?.metrics[0]).toEqual({ labels: { model: "m" }, value: "1" });
    // Every accepted request has been answered: nothing left in flight.
    expect(families.get("liftoff_inference_requests_in_flight")?.metrics[0]).toEqual({
      labels: { model: "m" },
      value: "0",
    });
    expect(families.get("liftoff_runtime_backend_info")?.metrics[0]?.labels).toMatchObject({
      backend: "cpu",
      tfjs_version: "4.22.0",
    });
    expect(families.get("liftoff_model_load_seconds")?.metrics[0]).toEqual({
      labels: { model: "m", phase: "fetch" },
      value: "0.01",
    });
    await app.close();
  });
});

describe("liftoff_inference_requests_in_flight", () => {
  it("counts requests the model is still working on", async () => {
    const { app, metrics } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()));
    metrics.inFlight(1);
    metrics.inFlight(1);
    metrics.inFlight(-1);
    const r = await app.inject({ url: "/metrics" });
    expect(r.body).toMatch(/^liftoff_inference_requests_in_flight\{model="m"\} 1$/m);
  });
});
