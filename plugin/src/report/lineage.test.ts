import { describe, expect, it } from "vitest";
import { children, type LiftoffObjects, lineage, type Obj } from "./lineage.js";

const o = (kind: string, name: string, spec: Obj = {}, uid = `${kind}-${name}`): Obj => ({
  kind,
  metadata: { name, uid },
  spec,
});

const all: LiftoffObjects = {
  DataSet: [
    o("DataSet", "penguins"),
    o("DataSet", "people"),
    o("DataSet", "fresh", { source: { captured: { modelDeploymentRef: { name: "penguins" } } } }),
  ],
  TrainingJob: [
    o("TrainingJob", "penguins", { dataSetRef: { name: "penguins" } }),
    o("TrainingJob", "other", { dataSetRef: { name: "people" } }),
  ],
  ModelDeployment: [
    o("ModelDeployment", "penguins", {
      model: { trainingJobRef: { name: "penguins" } },
      monitoring: { drift: { baselineDataSetRef: { name: "penguins" } } },
    }),
  ],
};

const names = (l: { kind: string; obj: Obj }[]) => l.map((x) => `${x.kind}/${x.obj.metadata.name}`);

describe("lineage", () => {
  it("follows references both ways from a ModelDeployment, the named object first", () => {
    expect(names(lineage(all, { kind: "ModelDeployment", name: "penguins" }))).toEqual([
      "ModelDeployment/penguins",
      "DataSet/fresh",
      "DataSet/penguins",
      "TrainingJob/penguins",
    ]);
  });

  it("from a DataSet reaches the TrainingJobs and ModelDeployments built on it, and nothing unrelated", () => {
    const l = names(lineage(all, { kind: "DataSet", name: "people" }));
    expect(l).toEqual(["DataSet/people", "TrainingJob/other"]);
  });
});

describe("children", () => {
  it("takes labelled objects, then what they own, transitively; ignores others", () => {
    const lin = lineage(all, { kind: "TrainingJob", name: "other" });
    const cands: Obj[] = [
      { kind: "Job", metadata: { name: "other-train", uid: "j1", labels: { "liftoff.dev/trainingjob": "other" } } },
      { kind: "Pod", metadata: { name: "other-train-x", uid: "p1", ownerReferences: [{ uid: "j1" }] } },
      { kind: "Pod", metadata: { name: "owned-by-tj", uid: "p2", ownerReferences: [{ uid: "TrainingJob-other" }] } },
      { kind: "Pod", metadata: { name: "stranger", uid: "p3", labels: { "liftoff.dev/trainingjob": "penguins" } } },
      { kind: "Job", metadata: { name: "prep", uid: "j2", labels: { "liftoff.dev/dataset": "people" } } },
    ];
    expect(children(lin, cands).map((c) => c.metadata.name)).toEqual([
      "other-train",
      "other-train-x",
      "owned-by-tj",
      "prep",
    ]);
  });
});
