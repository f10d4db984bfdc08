// spec.capture → LIFTOFF_CAPTURE from the lineage, the claim mounted read-write, and Vault for salts and keys.
import { describe, expect, it } from "vitest";
import type { DataSet, ModelDeployment, ModelDeploymentSpec, TrainingJob } from "../api/v1alpha1/index.js";
import { parseCaptureConfig } from "../contract/capture.js";
import { ReconcileFailure } from "../reasons.js";
import { capturePii, resolveCapture } from "./capture.js";
import { desiredObjects, PVC_ROOT } from "./desired.js";

const SALT = { path: "secret/data/ml/salt", key: "salt" };
const dataSet: DataSet = {
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "DataSet",
  metadata: { name: "penguins", namespace: "ml" },
  spec: {
    source: { http: { url: "https://example.com/penguins.csv" } },
    format: "csv",
    schema: {
      target: "species",
      columns: [
        { name: "island", type: "category", pii: false },
        { name: "bill_length_mm", type: "number", pii: false },
        { name: "email", type: "string", pii: true },
        { name: "name", type: "string", pii: true },
        { name: "note", type: "string", pii: false },
        { name: "species", type: "category", pii: false },
      ],
    },
    transforms: [
      { type: "hashPII", columns: ["email"], saltSecret: SALT },
      { type: "dropColumns", columns: ["name", "note"] },
    ],
    output: { claimName: "data", path: "penguins" },
    encryption: { transitKey: "ml-data", vaultRole: "liftoff-dataset" },
    retainVersions: 3,
  } as DataSet["spec"],
};
const trainingJob = {
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "TrainingJob",
  metadata: { name: "penguins-mlp", namespace: "ml" },
  spec: { dataSetRef: { name: "penguins" } },
} as unknown as TrainingJob;

function mdep(capture: Partial<NonNullable<ModelDeploymentSpec["capture"]>>, model?: ModelDeploymentSpec["model"]) {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: "penguins", namespace: "ml", uid: "u", generation: 1 },
    spec: {
      model: model ?? { trainingJobRef: { name: "penguins-mlp" }, format: "tfjs-layers" },
      capture: { uri: "pvc://captures/penguins", ...capture },
    },
  } as ModelDeployment;
}
const getTj = (n: string) => (n === "penguins-mlp" ? trainingJob : undefined);
const getDs = (n: string) => (n === "penguins" ? dataSet : undefined);

describe("capture from the lineage", () => {
  it("takes the columns, target and pii of the served TrainingJob's DataSet, and its encryption key", () => {
    const c = resolveCapture(mdep({ sampleRate: 0.5, maxBytes: "2Gi" }), getTj, getDs);
    expect(c?.claim).toBe("captures");
    expect(c?.needsVault).toBe(true);
    // What the operator passes is what the runtime accepts.
    const parsed = parseCaptureConfig(JSON.stringify({ ...c?.config, track: "stable" }));
    expect(parsed).toMatchObject({
      uri: "pvc://captures/penguins",
      sampleRate: 0.5,
      maxBytes: 2 * 1024 ** 3,
      target: "species",
      targetType: "category",
      encryption: { transitKey: "ml-data" },
    });
    expect(parsed.columns.map((x) => x.name)).toEqual(["island", "bill_length_mm", "email", "name", "note"]);
    expect(parsed.pii).toEqual([
      { column: "email", action: "hash", saltVaultPath: SALT.path, saltVaultKey: SALT.key },
      { column: "name", action: "drop" },
    ]);
  });

  it("hashes every pii column a hashPII step without columns covers, and drops a pii column nothing protects", () => {
    const spec = {
      ...dataSet.spec,
      transforms: [{ type: "hashPII", saltSecret: SALT }],
    } as DataSet["spec"];
    expect(capturePii(spec).map((p) => `${p.column}:${p.action}`)).toEqual(["email:hash", "name:hash"]);
    const bare = { ...dataSet.spec, transforms: [] } as DataSet["spec"];
    expect(capturePii(bare).map((p) => `${p.column}:${p.action}`)).toEqual(["email:drop", "name:drop"]);
  });

  it("capture.encryption overrides the DataSet's key; capture.dataSetRef serves a model.uri", () => {
    const c = resolveCapture(
      mdep(
        { encryption: { transitKey: "captures" }, dataSetRef: { name: "penguins" } },
        {
          uri: "pvc://models/penguins/model.json",
          format: "tfjs-layers",
        },
      ),
      () => undefined,
      getDs,
    );
    expect(c?.config.encryption).toEqual({ transitKey: "captures" });
  });

  it("waits for a missing DataSet and refuses a capture it cannot configure, with the reason", () => {
    const failure = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        if (err instanceof ReconcileFailure) return `${err.kind} ${err.reason}`;
        throw err;
      }
      return "no failure";
    };
    expect(failure(() => resolveCapture(mdep({}), getTj, () => undefined))).toBe("waiting CaptureDataSetNotFound");
    expect(failure(() => resolveCapture(mdep({ maxBytes: "10Ki" }), getTj, getDs))).toBe("stalled CaptureInvalid");
    expect(
      failure(() =>
        resolveCapture(mdep({}, { uri: "pvc://m/x/model.json", format: "tfjs-layers" }), () => undefined, getDs),
      ),
    ).toBe("stalled CaptureInvalid");
  });
});

describe("capture in the serving pods", () => {
  const stable = { uri: "pvc://models/penguins/model.json", format: "tfjs-layers" as const, claim: "models" };
  const vault = { address: "https://vault:8200" };
  const pods = (capture: ReturnType<typeof resolveCapture>, model = stable) =>
    desiredObjects(mdep({}), {
      runtimeImage: "img",
      stable: model,
      capabilities: { serviceMonitor: false, gatewayAPI: false },
      vault,
      capture,
    }).find((o) => o.object.kind === "Deployment")?.object as unknown as {
      spec: {
        template: {
          spec: {
            volumes: { name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }[];
            containers: {
              env: { name: string; value?: string }[];
              volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
            }[];
          };
        };
      };
    };

  it("passes LIFTOFF_CAPTURE with the track, mounts the capture claim read-write and logs in to Vault", () => {
    const dep = pods(resolveCapture(mdep({}), getTj, getDs));
    const c = dep.spec.template.spec.containers[0];
    const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
    expect(JSON.parse(env.LIFTOFF_CAPTURE ?? "{}").track).toBe("stable");
    expect(env.LIFTOFF_VAULT_ROLE).toBe("liftoff-ml-penguins");
    expect(c?.volumeMounts.find((m) => m.name === "capture")).toEqual({
      name: "capture",
      mountPath: `${PVC_ROOT}/captures`,
    });
    expect(c?.volumeMounts.find((m) => m.name === "model")?.readOnly).toBe(true);
    expect(dep.spec.template.spec.volumes.find((v) => v.name === "capture")?.persistentVolumeClaim).toEqual({
      claimName: "captures",
    });
  });

  it("on the model's own claim, turns that one mount read-write instead of mounting it twice", () => {
    const c = resolveCapture(mdep({ uri: "pvc://models/captures" }), getTj, getDs);
    const dep = pods(c);
    const mounts = dep.spec.template.spec.containers[0]?.volumeMounts ?? [];
    expect(mounts.filter((m) => m.mountPath === `${PVC_ROOT}/models`)).toEqual([
      { name: "model", mountPath: `${PVC_ROOT}/models`, readOnly: false },
    ]);
    expect(dep.spec.template.spec.volumes.find((v) => v.name === "model")?.persistentVolumeClaim?.readOnly).toBe(false);
  });

  it("without capture, no LIFTOFF_CAPTURE and the model stays read-only", () => {
    const dep = pods(undefined);
    const c = dep.spec.template.spec.containers[0];
    expect(c?.env.some((e) => e.name === "LIFTOFF_CAPTURE")).toBe(false);
    expect(c?.volumeMounts.find((m) => m.name === "model")?.readOnly).toBe(true);
  });
});
