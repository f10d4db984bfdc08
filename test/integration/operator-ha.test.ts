// Two operator replicas elect one leader and fail over; the operator rides out an API server restart.
import { AppsV1Api } from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startComponent } from "../../devcluster/cluster/cluster.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import { kubeConfig } from "../support/kube.js";
import { createModelDeployment, operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "operator-ha", { start: false });
const apps = admin.makeApiClient(AppsV1Api);
const started: OperatorHandle[] = [];

const createMdep = (name: string) =>
  createModelDeployment(admin, fx.ns.name, name, {
    model: { uri: "https://models.example.com/m/model.json" },
    replicas: 0,
  });

const deployed = (name: string) =>
  pollUntil(
    `Deployment ${name}-predictor`,
    () => apps.readNamespacedDeployment({ name: `${name}-predictor`, namespace: fx.ns.name }).catch(() => undefined),
    {
      timeoutMs: 60_000,
    },
  );

afterAll(async () => {
  await Promise.all(started.map((op) => op.stop()));
});

describe("operator availability", () => {
  it("elects exactly one leader among two replicas, and the other takes over when the leader dies", async () => {
    const lease = `--lease-name=ha-${fx.ns.name}`;
    const a = await startTestOperator(fx.operatorKc, [fx.ns.name], [lease, "--identity=replica-a"]);
    started.push(a);
    await a.leading;
    const b = await startTestOperator(fx.operatorKc, [fx.ns.name], [lease, "--identity=replica-b"]);
    started.push(b);
    await createMdep("first");
    await deployed("first");
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);

    // The leader dies without releasing its lease (a crash): the standby must wait out leaseDuration, then lead.
    await a.stop({ releaseLease: false });
    await b.leading;
    expect(b.isLeader()).toBe(true);
    await createMdep("second");
    await deployed("second");
  });

  it("keeps reconciling after the API server restarts", { timeout: 180_000 }, async () => {
    // Without leader election: a leader that cannot renew for renewDeadline exits on purpose (its pod restarts);
    // what must survive in-process is the informers' and client's handling of the dropped connections.
    const op = await startTestOperator(fx.operatorKc, [fx.ns.name], ["--leader-elect=false"]);
    started.push(op);
    await op.leading;
    await startComponent(inject("clusterName"), "kube-apiserver");
    await createMdep("after-restart");
    await deployed("after-restart");
    const restarts = await op.metrics.informerRestarts.get();
    expect(restarts.values.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0);
  });
});
