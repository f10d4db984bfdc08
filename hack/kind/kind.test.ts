// What can be checked of hack/kind/ without Docker: the kind config parses and has the GPU worker, the Dockerfiles
// are multi-stage and non-root, and the chart renders with exactly the image names the Dockerfiles are built as.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { OPERATOR_IMAGE, RUNTIME_IMAGE } from "../../devcluster/node-agent/images.js";
import { DEFAULT_RUNTIME_IMAGE } from "../../operator/src/config.js";

// biome-ignore lint/suspicious/noExplicitAny: free-form YAML
type Doc = Record<string, any>;

function bash(script: string): string {
  const res = spawnSync("bash", ["-c", script], { cwd: REPO_ROOT, encoding: "utf8" });
  if (res.status !== 0) throw new Error(res.stderr);
  return res.stdout.trim();
}

const env = (name: string) => bash(`source hack/kind/env.sh; echo "$${name}"`);
const k8sVersion = readFileSync(join(REPO_ROOT, "hack/k8s/go.mod"), "utf8").match(/k8s\.io\/kubernetes (v1\.\d+)/)?.[1];

describe("hack/kind/cluster.yaml", () => {
  const config = parse(readFileSync(join(REPO_ROOT, "hack/kind/cluster.yaml"), "utf8")) as Doc;

  it("is a kind Cluster with a control plane, a CPU worker and a tainted GPU worker", () => {
    expect(config).toMatchObject({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", name: "liftoff" });
    const roles = (config.nodes as Doc[]).map((n) => n.role);
    expect(roles).toEqual(["control-plane", "worker", "worker"]);
    const gpu = (config.nodes as Doc[]).find((n) => n.labels?.["nvidia.com/gpu.present"] === "true");
    expect(gpu?.labels["liftoff.dev/pool"]).toBe("gpu");
    const joinConfig = parse(gpu?.kubeadmConfigPatches[0]) as Doc;
    expect(joinConfig.nodeRegistration.taints).toEqual([
      { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
    ]);
  });

  it("runs the Kubernetes minor the local cluster is built from", () => {
    for (const n of config.nodes as Doc[]) expect(n.image).toMatch(new RegExp(`^kindest/node:${k8sVersion}\\.\\d+$`));
  });
});

describe("Dockerfiles", () => {
  const stages = (file: string) =>
    readFileSync(join(REPO_ROOT, file), "utf8")
      .split(/^FROM /m)
      .slice(1)
      .map((s) => `FROM ${s}`);

  it.each([
    "operator/Dockerfile",
    "runtime/Dockerfile",
    "runtime/Dockerfile.gpu",
    "runtime/Dockerfile.pytorch",
    "runtime/Dockerfile.pytorch-cuda",
  ])("%s is multi-stage and its final stage runs as a non-root user", (file) => {
    const all = stages(file);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const final = all.at(-1) ?? "";
    expect(final).toMatch(/^USER 65532:65532$/m);
    expect(final).not.toMatch(/^RUN .*npm ci/m); // nothing is built in the final stage
    expect(final).toMatch(/^ENTRYPOINT \[.*"\/app\/dist\/main\.js"\]$/m);
  });

  it("bases the CPU images on distroless Node", () => {
    for (const file of ["operator/Dockerfile", "runtime/Dockerfile"]) {
      expect(stages(file).at(-1)).toMatch(/^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot$/m);
    }
  });

  it("gives the GPU variant tfjs-node-gpu and the GPU libtensorflow", () => {
    const text = readFileSync(join(REPO_ROOT, "runtime/Dockerfile.gpu"), "utf8");
    expect(text).toContain("@tensorflow/tfjs-node-gpu@4.22.0");
    expect(text).toContain("hack/install-libtensorflow.sh --gpu");
  });

  /** The quoted name==version pins of a hack/ venv script's PINS=(…) array. */
  const pins = (file: string) =>
    new Map(
      [
        ...(readFileSync(join(REPO_ROOT, file), "utf8").match(/^PINS=\(([^)]*)\)/m)?.[1] ?? "").matchAll(
          /"([^"=]+)==([^"]+)"/g,
        ),
      ].map((m) => [m[1], m[2]] as const),
    );
  const venvPins = new Map([...pins("hack/torch-venv.sh"), ...pins("hack/pytorch-venv.sh")]);

  it.each([
    ["runtime/Dockerfile.pytorch", "2.15.0+cpu"],
    ["runtime/Dockerfile.pytorch-cuda", "2.15.0"],
  ])(
    "%s pins torch (%s) and its Python packages as the pytorch venv does, and installs the liftoff package",
    (file, torch) => {
      const text = readFileSync(join(REPO_ROOT, file), "utf8");
      const inImage = new Map([...text.matchAll(/"([^"=]+)==([^"]+)"/g)].map((m) => [m[1], m[2]] as const));
      expect(inImage.get("torch")).toBe(torch);
      expect(`${inImage.get("torch")}`.split("+")[0]).toBe(venvPins.get("torch"));
      for (const name of ["numpy", "onnx", "onnxscript", "onnx-ir", "pyarrow"]) {
        expect(inImage.get(name), name).toBe(venvPins.get(name));
      }
      expect(text).toMatch(/^COPY python\/ /m);
      expect(text).toMatch(/^ENV PATH=\/opt\/liftoff-python\/bin:\$PATH/m);
    },
  );
});

describe("image names", () => {
  it("are the same in the kind scripts, the node agent and the operator's default", () => {
    expect(env("OPERATOR_IMAGE")).toMatch(new RegExp(`^${OPERATOR_IMAGE}:\\d+\\.\\d+\\.\\d+$`));
    expect(env("RUNTIME_IMAGE")).toBe(DEFAULT_RUNTIME_IMAGE);
    expect(env("RUNTIME_IMAGE").startsWith(`${RUNTIME_IMAGE}:`)).toBe(true);
    expect(env("RUNTIME_GPU_IMAGE")).toBe(`${DEFAULT_RUNTIME_IMAGE}-gpu`);
    const version = env("RUNTIME_IMAGE").split(":")[1];
    expect(env("PYTORCH_IMAGE")).toBe(`ghcr.io/liftoff-dev/liftoff-pytorch:${version}`);
    expect(env("PYTORCH_CUDA_IMAGE")).toBe(`ghcr.io/liftoff-dev/liftoff-pytorch-cuda:${version}`);
  });

  it("are what the chart renders with the values up.sh installs it with", () => {
    const helm = join(bash("bash hack/fetch-kube-tools.sh --check"), "helm");
    const sets = bash("source hack/kind/env.sh; liftoff_chart_values").split("\n");
    const res = spawnSync(
      helm,
      [
        "template",
        "liftoff",
        "charts/liftoff",
        "--kube-version",
        `${k8sVersion}.0`,
        ...sets.flatMap((s) => ["--set", s]),
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    expect(res.stderr).toBe("");
    const deploy = parseAllDocuments(res.stdout)
      .map((d) => d.toJS() as Doc)
      .find((d) => d?.kind === "Deployment");
    const container = deploy?.spec.template.spec.containers[0];
    expect(container.image).toBe(env("OPERATOR_IMAGE"));
    expect(container.args).toContain(`--runtime-image=${env("RUNTIME_IMAGE")}`);
    // Pods find the cluster's OpenBao (the encrypted DataSet and its TrainingJob log in to it).
    expect(container.args).toContain(`--vault-addr=http://openbao.${env("OPENBAO_NAMESPACE")}.svc:8200`);
  });
});
