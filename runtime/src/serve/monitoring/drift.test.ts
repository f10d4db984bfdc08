// Raw records are binned by column name against the baseline's own columns (not the feature tensor's columns).
import { readFileSync } from "node:fs";
import client from "prom-client";
import { describe, expect, it } from "vitest";
import type { OutputTensor, Signature } from "../model/loaded-model.js";
import type { Prepared } from "../validate.js";
import { parseBaseline } from "./baseline.js";
import { DriftMonitor } from "./drift.js";
import { Monitor } from "./monitor.js";

const stats = readFileSync(new URL("./testdata/penguins-stats.json", import.meta.url), "utf8");
const win = { windowSeconds: 60, slots: 10 };
const RECORDS = [
  // bill_length_mm 30 is below the first decile edge (36.6): bin 0; 60 is above the last (50.8): the open last bin.
  { bill_length_mm: 30, bill_depth_mm: null, flipper_length_mm: 200, island: "Biscoe" },
  { bill_length_mm: 60, bill_depth_mm: 18, flipper_length_mm: 190, island: "Dream" },
];

function feature(snapshot: ReturnType<DriftMonitor["snapshot"]>, name: string) {
  const f = snapshot.features.find((x) => x.name === name && x.source !== "prediction");
  if (!f) throw new Error(`no feature ${name}`);
  return f;
}

describe("DriftMonitor.observeRecords", () => {
  it("counts each raw column in its baseline bins, missing values apart, and names columns without a baseline", () => {
    const drift = new DriftMonitor(parseBaseline(stats), new client.Registry(), "m", win);
    drift.observeRecords(RECORDS);
    const s = drift.snapshot();
    expect(s.rows).toBe(2);
    const bill = feature(s, "bill_length_mm");
    expect(bill.counts[0]).toBe(1);
    expect(bill.counts.at(-1)).toBe(1);
    expect(feature(s, "bill_depth_mm").missing).toBe(1);
    expect(feature(s, "bill_depth_mm").counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(s.unmatched).toEqual(["island"]);
  });
});

describe("Monitor.observe", () => {
  it("bins a raw-record request's records, not its feature tensor", () => {
    const sig = {
      inputs: [{ name: "input1", shape: [-1, 3], dtype: "float32" }],
      outputs: [{ name: "output1", shape: [-1, 3], dtype: "float32" }],
    } as unknown as Signature;
    const monitor = new Monitor(
      {
        model: "m",
        ...win,
        feedback: false,
        predictionTtlSeconds: 60,
        predictionStoreRows: 10,
        advertise: undefined,
      },
      { baseline: parseBaseline(stats) },
      sig,
      new client.Registry(),
    );
    // Standardised features near 0 would land in the middle bins; the raw values land in the outer ones.
    const prepared = {
      inputs: [{ data: new Float32Array([0, 0, 0, 0, 0, 0]), shape: [2, 3], dtype: "float32" }],
      rows: 2,
      batchKey: "k",
    } as unknown as Prepared;
    const outputs = [
      { name: "output1", data: new Float32Array([1, 0, 0, 0, 0, 1]), shape: [2, 3] },
    ] as unknown as OutputTensor[];
    monitor.observe(prepared, outputs, RECORDS);
    const bill = feature(monitor.drift?.snapshot() as ReturnType<DriftMonitor["snapshot"]>, "bill_length_mm");
    expect(bill.counts[0]).toBe(1);
    expect(bill.counts.at(-1)).toBe(1);
  });
});
