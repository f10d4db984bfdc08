import { describe, expect, it } from "vitest";
import { Batcher, concatInputs, splitOutputs } from "./batcher.js";
import type { OutputTensor, Tensor } from "./model/loaded-model.js";
import { saveLayersModel, serverFor, tempDir, tinyDense, tinyDenseExpected } from "./test-helpers.js";
import type { Prepared } from "./validate.js";

const req = (rows: number[][]): Prepared => ({
  inputs: [{ data: new Float32Array(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0] }],
  rows: rows.length,
  batchKey: `${rows[0]?.length};`,
});

/** A fake model that doubles its input and records each call's row count. */
function doubler(calls: number[]) {
  return async (inputs: readonly Tensor[]): Promise<OutputTensor[]> => {
    const x = inputs[0] as Tensor;
    calls.push(x.shape[0] as number);
    return [{ data: (x.data as Float32Array).map((v) => v * 2), shape: x.shape, dtype: "float32" }];
  };
}

describe("batching helpers", () => {
  it("concatenates along dimension 0 and splits back by row counts", () => {
    const merged = concatInputs([
      req([[1, 2]]),
      req([
        [3, 4],
        [5, 6],
      ]),
    ]);
    expect(merged[0]?.shape).toEqual([3, 2]);
    expect(Array.from(merged[0]?.data ?? [], Number)).toEqual([1, 2, 3, 4, 5, 6]);
    const parts = splitOutputs([{ ...(merged[0] as Tensor), dtype: "float32" }], [1, 2]);
    expect(parts.map((p) => [p[0]?.shape, Array.from(p[0]?.data ?? [], Number)])).toEqual([
      [
        [1, 2],
        [1, 2],
      ],
      [
        [2, 2],
        [3, 4, 5, 6],
      ],
    ]);
  });

  it("refuses to split outputs whose row count differs from the batch", () => {
    expect(() => splitOutputs([{ data: new Float32Array(2), shape: [1, 2], dtype: "float32" }], [1, 1])).toThrow(
      "batched output has 1 rows, expected 2",
    );
  });
});

describe("Batcher", () => {
  it("merges concurrent requests into one call once maxBatchSize rows are queued", async () => {
    const calls: number[] = [];
    // A latency far beyond the test's life: only the size trigger can send this batch.
    const b = new Batcher({ maxBatchSize: 4, maxLatencyMs: 600_000, run: doubler(calls) });
    const results = await Promise.all([req([[1]]), req([[2], [3]]), req([[4]])].map((r) => b.submit(r)));
    expect(calls).toEqual([4]);
    expect(results.map((r) => Array.from(r.outputs[0]?.data ?? [], Number))).toEqual([[2], [4, 6], [8]]);
  });

  it("sends a partial batch when the oldest request's latency budget is spent", async () => {
    const calls: number[] = [];
    const b = new Batcher({ maxBatchSize: 64, maxLatencyMs: 1, run: doubler(calls) });
    const results = await Promise.all([b.submit(req([[1]])), b.submit(req([[2]]))]);
    expect(calls).toEqual([2]);
    expect(results.map((r) => r.outputs[0]?.data[0])).toEqual([2, 4]);
  });

  it("with maxLatencyMs 0 a lone request runs at once; what queues while the model is busy goes as one batch", async () => {
    const calls: number[] = [];
    const b = new Batcher({ maxBatchSize: 64, maxLatencyMs: 0, run: doubler(calls) });
    const first = b.submit(req([[1]]));
    // The worker took the first request synchronously: nothing waits in the queue for a timer.
    expect([calls, b.queued]).toEqual([[1], 0]);
    const results = await Promise.all([first, b.submit(req([[2]])), b.submit(req([[3]]))]);
    expect(calls).toEqual([1, 2]);
    expect(results.map((r) => r.outputs[0]?.data[0])).toEqual([2, 4, 6]);
  });

  it("requests that arrive right after a batch, before the event loop's check phase, go together", async () => {
    const calls: number[] = [];
    const b = new Batcher({ maxBatchSize: 64, maxLatencyMs: 0, run: doubler(calls) });
    await b.submit(req([[1]]));
    // As the I/O callbacks that follow a model call would: two requests before the loop moves on.
    const both = Promise.all([b.submit(req([[2]])), b.submit(req([[3]]))]);
    expect([calls, b.queued]).toEqual([[1], 2]);
    expect((await both).map((r) => r.outputs[0]?.data[0])).toEqual([4, 6]);
    expect(calls).toEqual([1, 2]);
    // Once the loop has passed its check phase, a lone request runs at once again.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const lone = b.submit(req([[4]]));
    expect([calls, b.queued]).toEqual([[1, 2, 1], 0]);
    await lone;
  });

  it("never puts requests with different inner shapes in one batch", async () => {
    const calls: number[] = [];
    const b = new Batcher({ maxBatchSize: 4, maxLatencyMs: 1, run: doubler(calls) });
    const [a, c] = await Promise.all([b.submit(req([[1, 1]])), b.submit(req([[2]]))]);
    expect(calls).toEqual([1, 1]);
    expect(Array.from(a?.outputs[0]?.data ?? [], Number)).toEqual([2, 2]);
    expect(Array.from(c?.outputs[0]?.data ?? [], Number)).toEqual([4]);
  });

  it("a failing model call rejects the callers of that batch only", async () => {
    let n = 0;
    const b = new Batcher({
      maxBatchSize: 2,
      maxLatencyMs: 600_000,
      run: async (inputs) => {
        n++;
        if (n === 1) throw new Error("boom");
        return doubler([])(inputs);
      },
    });
    const first = Promise.allSettled([b.submit(req([[1]])), b.submit(req([[2]]))]);
    const second = Promise.all([b.submit(req([[3]])), b.submit(req([[4]]))]);
    expect((await first).map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect((await second).map((r) => r.outputs[0]?.data[0])).toEqual([6, 8]);
  });

  it("drain() sends what is queued without waiting for the latency budget", async () => {
    const calls: number[] = [];
    const b = new Batcher({ maxBatchSize: 100, maxLatencyMs: 600_000, run: doubler(calls) });
    const pending = b.submit(req([[5]]));
    expect(b.queued).toBe(1);
    await b.drain();
    expect((await pending).outputs[0]?.data[0]).toBe(10);
    expect(b.queued).toBe(0);
  });

  it("with maxBatchSize 1 runs each request on its own, unqueued", async () => {
    const calls: number[] = [];
    const b = new Batcher({ maxBatchSize: 1, maxLatencyMs: 600_000, run: doubler(calls) });
    await Promise.all([b.submit(req([[1]])), b.submit(req([[2], [3]]))]);
    expect(calls.sort()).toEqual([1, 2]);
    expect(b.queued).toBe(0);
  });
});

describe("batching through the HTTP routes", () => {
  it("32 concurrent callers each get their own rows, in order, from batched model calls", async () => {
    const dir = await tempDir();
    const { app, metrics } = await serverFor(await saveLayersModel(tinyDense(), dir), {
      maxBatchSize: 8,
      maxLatencyMs: 600_000,
    });
    // Every caller sends 2 rows unique to it; 32 × 2 = 64 rows = 8 full batches of 8.
    const rowsOf = (i: number) => [
      [i, i + 0.25, -i],
      [2 * i, 1, i / 4],
    ];
    const replies = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        i % 2 === 0
          ? app.inject({ method: "POST", url: "/v1/models/m:predict", payload: { instances: rowsOf(i) } })
          : app.inject({
              method: "POST",
              url: "/v2/models/m/infer",
              payload: {
                id: `c${i}`,
                inputs: [{ name: "dense_input", shape: [2, 3], datatype: "FP32", data: rowsOf(i).flat() }],
              },
            }),
      ),
    );
    replies.forEach((r, i) => {
      expect(r.statusCode).toBe(200);
      const want = rowsOf(i).map(tinyDenseExpected);
      const got =
        i % 2 === 0
          ? (r.json() as { predictions: number[][] }).predictions
          : (() => {
              const body = r.json() as { id: string; outputs: { data: number[]; shape: number[] }[] };
              expect(body.id).toBe(`c${i}`);
              expect(body.outputs[0]?.shape).toEqual([2, 2]);
              const d = body.outputs[0]?.data ?? [];
              return [d.slice(0, 2), d.slice(2, 4)];
            })();
      got.forEach((rowOut, k) => {
        rowOut.forEach((v, j) => {
          expect(v).toBeCloseTo(want[k]?.[j] as number, 4);
        });
      });
    });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/liftoff_inference_batch_size_bucket\{le="4",model="m"\} 0\n/);
    expect(text).toMatch(/liftoff_inference_batch_size_bucket\{le="8",model="m"\} 8\n/);
    expect(text).toMatch(/liftoff_inference_exec_count_total\{model="m"\} 8\n/);
    expect(text).toMatch(/liftoff_inference_count_total\{model="m"\} 64\n/);
    await app.close();
  });

  it("a bad request among concurrent good ones fails alone (validated before queueing)", async () => {
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()), {
      maxBatchSize: 3,
      maxLatencyMs: 600_000,
    });
    const good = (x: number) =>
      app.inject({ method: "POST", url: "/v1/models/m:predict", payload: { instances: [[x, 0, 0]] } });
    const bad = app.inject({ method: "POST", url: "/v1/models/m:predict", payload: { instances: [[1, "x", 0]] } });
    const [a, b, c, d] = await Promise.all([good(1), bad, good(2), good(3)]);
    expect(b?.statusCode).toBe(400);
    const first = (r: typeof a) => (r?.json() as { predictions: number[][] } | undefined)?.predictions[0]?.[0];
    expect([a, c, d].map(first)).toEqual([1.5, 2.5, 3.5]);
    await app.close();
  });
});

describe("bounds", () => {
  it("finding: the batcher's queue and in-flight work are bounded: a full batcher answers 503 with Retry-After (gRPC RESOURCE_EXHAUSTED)", async () => {
    for (const maxBatchSize of [1, 4]) {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const slow = async (inputs: readonly Tensor[]): Promise<OutputTensor[]> => {
        await gate;
        return doubler([])(inputs);
      };
      const b = new Batcher({ maxBatchSize, maxLatencyMs: 0, maxPending: 2, run: slow });
      const first = [b.submit(req([[1]])), b.submit(req([[2]]))];
      let refused: unknown;
      try {
        await b.submit(req([[3]]));
      } catch (err) {
        refused = err;
      }
      expect(refused).toMatchObject({
        code: "LIFTOFF_ERR_OVERLOADED",
        statusCode: 503,
        grpcStatus: 8,
        headers: { "retry-after": "1" },
      });
      release();
      await Promise.all(first);
      // Room again once answered.
      await expect(b.submit(req([[4]]))).resolves.toBeDefined();
    }
  });
});
