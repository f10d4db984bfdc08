import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ContainerConfigError, expand, type ObjectData, referencedObjects, resolveEnv } from "./env.js";
import { buildArgv, defaultImages, findImage } from "./images.js";

const net = { podIP: "127.80.1.5", hostIP: "127.80.1.1" };
const node = { cpu: "4", memory: "16Gi" };
const none: ObjectData = { configMap: () => undefined, secret: () => undefined };

function pod(container: V1Container): V1Pod {
  return {
    metadata: { name: "p", namespace: "ns", uid: "u1", labels: { app: "web" } },
    spec: { nodeName: "cpu-node-1", serviceAccountName: "sa", containers: [container] },
  };
}

describe("resolveEnv", () => {
  it("resolves the downward API, resource fields and $(VAR) references in order", () => {
    const c: V1Container = {
      name: "main",
      resources: { limits: { memory: "512Mi" }, requests: { cpu: "250m" } },
      env: [
        { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
        { name: "CPU_REQ", valueFrom: { resourceFieldRef: { resource: "requests.cpu", divisor: "1m" } } },
        { name: "CPU_LIM", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
        { name: "URL", value: "http://$(IP):8080/$(MISSING)/$$(IP)" },
      ],
    };
    const env = resolveEnv(pod(c), c, none, net, node, { PATH: "/bin" });
    expect(env).toMatchObject({
      PATH: "/bin",
      IP: "127.80.1.5",
      APP: "web",
      NODE: "cpu-node-1",
      MEM: "512",
      CPU_REQ: "250",
      CPU_LIM: "4",
      URL: "http://127.80.1.5:8080/$(MISSING)/$(IP)",
    });
  });

  it("takes envFrom with prefixes, lets env override it, and honours optional refs", () => {
    const objects = {
      configMap: (n: string) => (n === "cm" ? { A: "1", B: "2" } : undefined),
      secret: (n: string) => (n === "s" ? { KEY: "k" } : undefined),
    };
    const c: V1Container = {
      name: "main",
      envFrom: [
        { configMapRef: { name: "cm" } },
        { secretRef: { name: "s" }, prefix: "S_" },
        { configMapRef: { name: "gone", optional: true } },
      ],
      env: [
        { name: "B", value: "override" },
        { name: "OPT", valueFrom: { secretKeyRef: { name: "gone", key: "x", optional: true } } },
      ],
    };
    const env = resolveEnv(pod(c), c, objects, net, node);
    expect(env).toEqual({ A: "1", B: "override", S_KEY: "k" });
  });

  it("names a missing ConfigMap, Secret or key the way the kubelet does", () => {
    const cm: ObjectData = { configMap: () => ({ present: "x" }), secret: () => undefined };
    const missing =
      (c: Partial<V1Container>, objects = none) =>
      () =>
        resolveEnv(pod({ name: "m", ...c }), { name: "m", ...c }, objects, net, node);
    expect(missing({ envFrom: [{ configMapRef: { name: "cfg" } }] })).toThrow('configmap "cfg" not found');
    expect(missing({ env: [{ name: "X", valueFrom: { secretKeyRef: { name: "sec", key: "k" } } }] })).toThrow(
      'secret "sec" not found',
    );
    expect(missing({ env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }] }, cm)).toThrow(
      "couldn't find key k in ConfigMap ns/cfg",
    );
    expect(missing({ env: [{ name: "X", valueFrom: { fieldRef: { fieldPath: "spec.nope" } } }] })).toThrow(
      ContainerConfigError,
    );
  });

  it("lists the objects a pod needs", () => {
    const p = pod({ name: "m", envFrom: [{ secretRef: { name: "s1" } }] });
    if (p.spec)
      p.spec.volumes = [
        { name: "v", configMap: { name: "c1" } },
        { name: "d", persistentVolumeClaim: { claimName: "data" } },
      ];
    const refs = referencedObjects(p);
    expect([...refs.secrets]).toEqual(["s1"]);
    expect([...refs.configMaps]).toEqual(["c1"]);
    expect([...refs.claims]).toEqual(["data"]);
  });

  it("expands like Kubernetes", () => {
    expect(expand("$(A)-$(B)-$$-$(C", { A: "a", B: "" })).toBe("a--$-$(C");
  });
});

describe("images", () => {
  const images = defaultImages("/repo");

  it("finds the runtime and testbox images by repository, any tag or digest", () => {
    expect(findImage(images, "ghcr.io/liftoff-dev/liftoff-runtime:0.1.0")?.entrypoint).toEqual([
      "node",
      "/app/dist/main.js",
    ]);
    expect(findImage(images, "ghcr.io/liftoff-dev/liftoff-runtime@sha256:abc")).toBeDefined();
    expect(findImage(images, "ghcr.io/liftoff-dev/liftoff-testbox")).toBeDefined();
    expect(findImage(images, "busybox:1.36")).toBeUndefined();
  });

  it("builds argv with Docker's entrypoint/cmd rules and host paths", () => {
    const runtime = findImage(images, "ghcr.io/liftoff-dev/liftoff-runtime:1");
    if (!runtime) throw new Error("no runtime image");
    expect(buildArgv(runtime, { args: ["serve", "--model", "/models/m"] }, "/usr/bin/node20")).toEqual([
      "/usr/bin/node20",
      "/repo/runtime/dist/main.js",
      "serve",
      "--model",
      "/models/m",
    ]);
    expect(buildArgv(runtime, { command: ["node", "/app/dist/other.js"] }, "N")).toEqual([
      "N",
      "/repo/runtime/dist/other.js",
    ]);
    const box = findImage(images, "ghcr.io/liftoff-dev/liftoff-testbox:1");
    if (!box) throw new Error("no testbox image");
    expect(buildArgv(box, {}, "N")).toEqual(["N", "/repo/devcluster/node-agent/testbox/testbox.mjs", "serve"]);
    expect(buildArgv(box, { command: ["sh", "-c", "true"] }, "N")).toEqual(["sh", "-c", "true"]);
  });
});
