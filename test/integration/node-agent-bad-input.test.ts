// Bad pod specs show on the pod as Kubernetes shows them (Waiting reason + message), and the agent
// keeps working; it also survives an API server restart.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AuthenticationV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { readPidFile, startProcess, stopProcess, writePidFile } from "../../devcluster/cluster/processes.js";
import { kubeConfig, testNamespace } from "../support/kube.js";
import { pollUntil } from "../support/poll.js";
import { box, containerState, createPod, waitPod } from "./node-agent-helpers.js";

let kc: KubeConfig;
let core: CoreV1Api;
let ns: { name: string; delete(): Promise<void> };

beforeAll(async () => {
  kc = kubeConfig(inject("kubeconfig"));
  core = kc.makeApiClient(CoreV1Api);
  ns = await testNamespace(kc, "node-agent-bad");
});
afterAll(async () => {
  await ns?.delete();
});

describe("node agent with bad input", () => {
  it("shows a missing ConfigMap in env as CreateContainerConfigError, then starts once it exists", async () => {
    await createPod(kc, ns.name, "needs-config", {
      restartPolicy: "Never",
      containers: [
        box("main", ["exit", "0", "$(GREETING)"], {
          env: [{ name: "GREETING", valueFrom: { configMapKeyRef: { name: "settings", key: "greeting" } } }],
        }),
      ],
    });
    const waiting = await waitPod(
      kc,
      ns.name,
      "needs-config",
      "config error",
      (p) =>
        containerState(p)?.state?.waiting?.reason === "CreateContainerConfigError" && containerState(p)?.state?.waiting,
    );
    expect(waiting.message).toBe('configmap "settings" not found');
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: "settings" }, data: { greeting: "hello" } },
    });
    const pod = await waitPod(
      kc,
      ns.name,
      "needs-config",
      "Succeeded",
      (p) => p.status?.phase === "Succeeded" && p,
      45_000,
    );
    expect(containerState(pod)?.state?.terminated?.message).toBe("hello");
  });

  it("shows a missing Secret volume as ContainerCreating with the mount failure", async () => {
    await createPod(kc, ns.name, "needs-secret", {
      volumes: [{ name: "creds", secret: { secretName: "absent" } }],
      containers: [box("main", ["serve"], { volumeMounts: [{ name: "creds", mountPath: "/creds" }] })],
    });
    const waiting = await waitPod(kc, ns.name, "needs-secret", "mount failure", (p) =>
      containerState(p)?.state?.waiting?.message ? containerState(p)?.state?.waiting : undefined,
    );
    expect(waiting.reason).toBe("ContainerCreating");
    expect(waiting.message).toBe('MountVolume.SetUp failed for volume "creds" : secret "absent" not found');
    const pod = await core.readNamespacedPod({ name: "needs-secret", namespace: ns.name });
    expect(pod.status?.phase).toBe("Pending");
  });

  it("shows a command that cannot start as StartError with exit code 128", async () => {
    await createPod(kc, ns.name, "bad-command", {
      restartPolicy: "Never",
      containers: [box("main", [], { command: ["/no/such/program"] })],
    });
    const pod = await waitPod(kc, ns.name, "bad-command", "Failed", (p) => p.status?.phase === "Failed" && p);
    const t = containerState(pod)?.state?.terminated;
    expect(t?.reason).toBe("StartError");
    expect(t?.exitCode).toBe(128);
    expect(t?.message).toContain("/no/such/program");
  });

  it("gives a pod its env: downward API, resource limits, envFrom, and a real projected service-account token", async () => {
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: "env-cm" }, data: { MODE: "fast" } },
    });
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: "env-secret" }, stringData: { TOKEN: "s3cret" } },
    });
    await createPod(kc, ns.name, "env", {
      restartPolicy: "Never",
      volumes: [
        {
          name: "vault-token",
          projected: {
            sources: [{ serviceAccountToken: { audience: "vault", expirationSeconds: 600, path: "token" } }],
          },
        },
      ],
      containers: [
        box("main", ["exit", "0", "$(SUMMARY)"], {
          resources: { limits: { memory: "256Mi", cpu: "500m" } },
          envFrom: [{ configMapRef: { name: "env-cm" } }, { secretRef: { name: "env-secret" }, prefix: "S_" }],
          env: [
            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            { name: "POD_NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
            { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['test']" } } },
            { name: "MEM_MI", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
            { name: "CPU_M", valueFrom: { resourceFieldRef: { resource: "limits.cpu", divisor: "1m" } } },
            { name: "SUMMARY", value: "$(POD_NAME)@$(POD_IP) $(POD_NS) $(MODE) $(S_TOKEN) $(APP) $(MEM_MI) $(CPU_M)" },
          ],
        }),
        box("token", ["read", "/var/run/secrets/vault/token"], {
          volumeMounts: [{ name: "vault-token", mountPath: "/var/run/secrets/vault" }],
        }),
      ],
    });
    const pod = await waitPod(kc, ns.name, "env", "Succeeded", (p) => p.status?.phase === "Succeeded" && p);
    const summary = containerState(pod, "main")?.state?.terminated?.message;
    expect(summary).toBe(`env@${pod.status?.podIP} ${ns.name} fast s3cret env 256 500`);
    const token = containerState(pod, "token")?.state?.terminated?.message ?? "";
    const review = await kc.makeApiClient(AuthenticationV1Api).createTokenReview({
      body: { spec: { token, audiences: ["vault"] } },
    });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${ns.name}:default`);
    expect(review.status?.audiences).toEqual(["vault"]);
    // The API server's default kube-api-access volume is laid out in the container root too.
    const root = join(clusterConfig(inject("clusterName")).stateDir, "pods", ns.name, "env", "roots", "main");
    const sa = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
    expect(readFileSync(join(sa, "namespace"), "utf8")).toBe(ns.name);
    expect(readFileSync(join(sa, "ca.crt"), "utf8")).toContain("BEGIN CERTIFICATE");
    expect(readFileSync(join(sa, "token"), "utf8").split(".")).toHaveLength(3);
    // A loopback address, or the pod network's 10.N range when the agent gives each pod its own netns.
    expect(pod.status?.podIP).toMatch(/^(127|10)\./);
  });

  it("keeps running pods and picks up new ones after the API server restarts", async () => {
    await createPod(kc, ns.name, "survivor", {
      terminationGracePeriodSeconds: 1,
      containers: [box("main", ["serve"])],
    });
    const before = await waitPod(kc, ns.name, "survivor", "Running", (p) => p.status?.phase === "Running" && p);
    const config = clusterConfig(inject("clusterName"));
    const procs = readPidFile(config.stateDir);
    const api = procs.find((p) => p.name === "kube-apiserver");
    if (!api) throw new Error("no kube-apiserver in pids.json");
    // Restarted with exactly the flags it runs with now.
    const [command = "", ...args] = readFileSync(`/proc/${api.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    await stopProcess(api);
    const restarted = startProcess(
      { name: "kube-apiserver", command, args, health: { url: "" }, startTimeoutSeconds: 90 },
      config.logDir,
    );
    writePidFile(
      config.stateDir,
      procs.map((p) => (p.name === "kube-apiserver" ? restarted : p)),
    );
    await pollUntil("API server back", async () => (await core.listNamespace()).items.length > 0, {
      timeoutMs: 90_000,
      intervalMs: 500,
    });

    const after = await waitPod(kc, ns.name, "survivor", "still Running", (p) => p.status?.phase === "Running" && p);
    expect(after.status?.podIP).toBe(before.status?.podIP);
    await createPod(kc, ns.name, "after-restart", {
      restartPolicy: "Never",
      containers: [box("main", ["exit", "0", "ok"])],
    });
    const pod = await waitPod(
      kc,
      ns.name,
      "after-restart",
      "Succeeded",
      (p) => p.status?.phase === "Succeeded" && p,
      60_000,
    );
    expect(containerState(pod)?.state?.terminated?.message).toBe("ok");
  }, 150_000);
});
